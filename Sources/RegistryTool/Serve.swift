import ArgumentParser
struct Serve: ParsableCommand {
    func run() throws {}
}

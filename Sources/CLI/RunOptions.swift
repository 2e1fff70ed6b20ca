import ArgumentParser

/// Options shared by the commands that run the install pipeline (install, upgrade, reinstall).
struct RunOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "Bottle downloads in flight at once (default 8); bottles known to be ≤ 256 KiB may use 2 × N more slots beside them (none with --jobs 1).")
    var jobs: Int?

    @Flag(name: .customLong("no-wait"), help: "Fail at once if another pour holds the prefix lock.")
    var noWait = false

    @Flag(name: .shortAndLong, help: "Print only errors and the summary.")
    var quiet = false

    @Flag(help: "Print one JSON object per event (NDJSON) instead of progress.")
    var json = false

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }
}

import ArgumentParser
import Foundation
import PourTestSupport

/// `pour-registry push`: copies a generated registry into an OCI distribution registry (CNCF
/// Distribution, Harbor, Zot…) in ghcr.io's layout, so pour can use it as a mirror
/// (`HOMEBREW_ARTIFACT_DOMAIN`). See Docs/Mirrors.md.
struct Push: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Push a registry directory's bottles and image indexes into an OCI registry.")

    @Argument(help: "Registry directory written by `generate`.")
    var directory: String

    @Option(help: "Target registry origin, e.g. http://127.0.0.1:5000.")
    var to: String

    @Option(help: "Repository prefix (ghcr.io's is homebrew/core).")
    var namespace: String = "homebrew/core"

    @Option(help: "Push only these formulae (comma-separated).")
    var only: String?

    @Option(help: "Leave these formulae out (comma-separated).")
    var skip: String?

    @Option(help: "Authorization header value for the target (e.g. \"Basic dXNlcjpwYXNz\").")
    var authorization: String?

    @Option(help: "Formulae pushed at once.")
    var jobs: Int = 4

    func run() throws {
        func names(_ list: String?) -> Set<String>? {
            list.map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }) }
        }
        let pusher = RegistryPusher(registry: URL(fileURLWithPath: directory), target: to, namespace: namespace,
                                    authorization: authorization, parallelism: jobs)
        let started = Date()
        // A MirrorError prints as one line (`Error: <method> <url>: …`), without the usage text.
        let summary = try pusher.push(only: names(only), skipping: names(skip) ?? [])
        let seconds = Date().timeIntervalSince(started)
        print(String(format: "pushed %d formulae to %@/v2/%@: %d blobs uploaded (%d bytes), %d already present, %.2f s",
                     summary.formulae.count, pusher.target, namespace, summary.blobsUploaded, summary.bytesUploaded,
                     summary.blobsPresent, seconds))
    }
}

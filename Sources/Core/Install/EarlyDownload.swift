import Foundation

/// A bottle download started while the dependency closure is still being resolved.
///
/// Resolving a deep closure without the formula index takes one round of formula-JSON requests
/// per dependency level (nine on the deep-closure workload: ~0.9 s over a 40 ms link), and the
/// link used to sit idle until the whole plan existed. Now each bottle's download starts as soon
/// as its formula JSON has decoded and its keg is not installed (`InstallRun.startEarlyDownload`);
/// `InstallRun.plan` then hands it to the package's job (`adopt`), or cancels it when the plan
/// does not want it (Docs/Performance.md, "Downloads during resolution").
///
/// Progress events are held back until the job adopts the download (`announced`), so the event
/// stream still begins with `.planned`; the first progress event after it carries the bytes
/// received so far.
///
/// Confinement: every property except `announced` is read and written only on `InstallRun`'s run
/// queue; `announced` is a `Locked` flag read by the download's own queue. Hence
/// `@unchecked Sendable`.
final class EarlyDownload: @unchecked Sendable {
    let download: VerifiedDownload
    let announced: Locked<Bool>
    /// The job that adopted it; its report goes straight to that job then.
    var job: PackageJob?
    /// Its report, when it arrived before any job adopted it.
    var result: Result<DownloadOutcome, TransferError>?
    /// The plan did not want it: it was cancelled, and its report only ends it.
    var discarded = false
    /// The generation a streamed extraction may follow (`StreamingExtraction`), and, once the
    /// download began it before any job adopted the download, its declared length (`.some(nil)`
    /// when the response had none): `adopt` starts the extraction then.
    var stream: GrowingFile?
    var streamBegan: Int64??

    init(download: VerifiedDownload, announced: Locked<Bool>) {
        self.download = download
        self.announced = announced
    }
}

import Foundation
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `pour doctor`: finds the damage interrupted or foreign operations can leave in a prefix and,
/// with `fix`, repairs what can be repaired without guessing.
///
/// Stateless value. `check` only reads (it never takes the prefix lock, so it also works while
/// another pour runs, and then treats that run's staging directory as live); `fix` needs the
/// held lock, under which no pour run is live and all staging debris is stale. Blocking.
package struct Doctor: Sendable {
    package let layout: PrefixLayout

    package init(layout: PrefixLayout) { self.layout = layout }

    package func check() -> [DoctorFinding] { findings(holdingLock: false) }

    /// Repairs every fixable finding and returns what is still wrong afterwards (a fresh check).
    package func fix(lock: PrefixLock) throws(LifecycleError) -> (fixed: [DoctorFinding], remaining: [DoctorFinding]) {
        try LifecycleLock.check(lock, layout: layout)
        var fixed: [DoctorFinding] = []
        for finding in findings(holdingLock: true) where finding.fixable {
            if repair(finding) { fixed.append(finding) }
        }
        return (fixed, findings(holdingLock: true))
    }

    // MARK: Checks

    private func findings(holdingLock: Bool) -> [DoctorFinding] {
        var result: [DoctorFinding] = []
        result += brokenLinks()
        result += staleStaging(holdingLock: holdingLock)
        result += leftoverDownloads()
        result += incompleteKegs()
        result += lockInformation()
        result += pendingPostInstalls()
        return result
    }

    private func brokenLinks() -> [DoctorFinding] {
        LinkScan.brokenLinks(layout: layout).map { link in
            let target = PosixFS.readLink(link) ?? "?"
            if PosixFS.parent(link) == layout.opt {
                return DoctorFinding(kind: .danglingOptLink, path: link,
                                     detail: "opt link to a missing keg (\(target)); --fix removes it", fixable: true)
            }
            return DoctorFinding(kind: .brokenLink, path: link,
                                 detail: "broken symlink to \(target); --fix removes it", fixable: true)
        }
    }

    private func staleStaging(holdingLock: Bool) -> [DoctorFinding] {
        let live = !holdingLock && FileLockProbe.isLocked(layout.lockFile)
        if PosixFS.kind(layout.staging) == .symlink || PosixFS.kind(PosixFS.parent(layout.staging)) == .symlink {
            return [DoctorFinding(kind: .staleStaging, path: layout.staging,
                                  detail: "a symlink stands in pour's staging path; pour refuses to use it; remove the link",
                                  fixable: false)]
        }
        return (PosixFS.children(layout.staging) ?? []).sorted().compactMap { entry in
            // Entries are named `<kind>-<pid>-…`; with the lock free no run is live at all.
            if live, let pid = Self.pid(inStagingName: entry), FileLockProbe.isAlive(pid) { return nil }
            if live && Self.pid(inStagingName: entry) == nil { return nil }
            return DoctorFinding(kind: .staleStaging, path: layout.staging + "/" + entry,
                                 detail: "left by a pour run that is gone; --fix removes it", fixable: true)
        }
    }

    private func leftoverDownloads() -> [DoctorFinding] {
        (PosixFS.children(layout.downloads) ?? []).sorted().compactMap { file in
            let path = layout.downloads + "/" + file
            if file.hasSuffix(".incomplete") {
                guard !FileLockProbe.isLocked(path) else { return nil }
                return DoctorFinding(kind: .leftoverDownload, path: path,
                                     detail: "partial download no process is writing; --fix removes it", fixable: true)
            }
            // A bottle's download lock (`DownloadCache.lockPath`) left by a killed process.
            if file.hasSuffix(".lock"), CachedBottle(fileName: String(file.dropLast(".lock".count))) != nil,
               PosixFS.kind(path) == .file, !FileLockProbe.isLocked(path) {
                return DoctorFinding(kind: .leftoverDownload, path: path,
                                     detail: "download lock no process holds; --fix removes it", fixable: true)
            }
            return nil
        }
    }

    private func incompleteKegs() -> [DoctorFinding] {
        var result: [DoctorFinding] = []
        for formula in PrefixInventory.read(layout: layout).formulae {
            for keg in formula.incompleteKegs {
                if let problem = keg.receiptProblem {
                    result.append(DoctorFinding(kind: .unreadableReceipt, path: keg.path,
                                                detail: "\(problem); reinstall \(keg.name) to rewrite it", fixable: false))
                    continue
                }
                let links = LinkScan.links(into: keg.path, layout: layout)
                let brewBusy = FileLockProbe.isLocked("\(layout.locks)/\(keg.name).formula.lock")
                if !links.isEmpty {
                    result.append(DoctorFinding(kind: .kegWithoutReceipt, path: keg.path,
                                                detail: "keg without INSTALL_RECEIPT.json, but \(links.count) link(s) point into it "
                                                    + "(e.g. \(links[0])); reinstall \(keg.name) or unlink it, then rerun --fix",
                                                fixable: false))
                } else if brewBusy {
                    result.append(DoctorFinding(kind: .kegWithoutReceipt, path: keg.path,
                                                detail: "keg without INSTALL_RECEIPT.json that brew is installing now; rerun later",
                                                fixable: false))
                } else {
                    result.append(DoctorFinding(kind: .kegWithoutReceipt, path: keg.path,
                                                detail: "keg without INSTALL_RECEIPT.json (an interrupted install); --fix removes it",
                                                fixable: true))
                }
            }
        }
        return result
    }

    /// Active kegs whose receipt records `pour_post_install.status == "not_run"`.
    private func pendingPostInstalls() -> [DoctorFinding] {
        PrefixInventory.read(layout: layout).formulae.compactMap { formula in
            guard let keg = formula.activeKeg, let receipt = keg.receipt,
                  let pending = PostInstallRunner.pending(in: receipt) else { return nil }
            return DoctorFinding(kind: .postInstallNotRun, path: keg.path,
                                 detail: "post_install of \(keg.name) was not run (\(pending.reason)); run `\(pending.command)`",
                                 fixable: false)
        }
    }

    private func lockInformation() -> [DoctorFinding] {
        guard let data = FileManager.default.contents(atPath: layout.lockFile),
              let pid = Int32(String(decoding: data, as: UTF8.self).filter { $0.isASCII && $0.isNumber }),
              !FileLockProbe.isAlive(pid), !FileLockProbe.isLocked(layout.lockFile) else { return [] }
        return [DoctorFinding(kind: .staleLockPid, path: layout.lockFile,
                              detail: "names pid \(pid), which is gone; the lock is free (the kernel released it)",
                              fixable: false)]
    }

    // MARK: Repairs

    private func repair(_ finding: DoctorFinding) -> Bool {
        switch finding.kind {
        case .brokenLink, .danglingOptLink:
            // Beneath the prefix, through real directories only: the link itself goes, nothing else.
            guard PosixFS.kind(finding.path) == .symlink else { return false }
            return (try? StatePaths.remove(finding.path, layout: layout)) != nil
        case .leftoverDownload:
            // A lock file goes only while held by us (a downloader may be opening it right now).
            return finding.path.hasSuffix(".lock") ? FileLockProbe.removeIfUnheld(finding.path) : posixUnlink(finding.path) == 0
        case .staleStaging:
            // Beneath the prefix, no link followed (a planted link in var/homebrew is refused).
            try? StatePaths.remove(finding.path, layout: layout)
            return PosixFS.kind(finding.path) == .missing
        case .kegWithoutReceipt:
            let name = PosixFS.baseName(PosixFS.parent(finding.path))
            guard (try? KegRemoval.remove(finding.path, layout: layout)) != nil else { return false }
            KegRemoval.pruneRack(name, layout: layout)
            return true
        case .unreadableReceipt, .staleLockPid, .postInstallNotRun:
            return false
        }
    }

    static func pid(inStagingName name: String) -> Int32? {
        let parts = name.split(separator: "-")
        guard parts.count >= 2 else { return nil }
        if name.hasPrefix(".link-backup-") {
            return parts.count >= 3 ? Int32(parts[2]) : nil  // `.link`, `backup`, pid
        }
        return Int32(parts[1])
    }
}

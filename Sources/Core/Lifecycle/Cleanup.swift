import Foundation

/// `pour cleanup`: old kegs nobody uses and download-cache entries nobody needs.
///
/// - A keg goes when it is not the opt-linked, linked or pinned version of its formula (when
///   none of those exists the newest keg stays, as it is the one brew would use).
/// - A cached bottle goes when its version is not installed (after the keg clean-up), or, with
///   `pruneDays`, when it is older than that.
/// - An `.incomplete` download goes when it is older than a day and no process holds its flock
///   (a running download does; a younger one may still be resumed).
/// - A bottle's download lock (`<final>.lock`) goes when no process holds it (a killed download
///   leaves it); it is removed only while cleanup holds its flock.
///
/// Stateless value. `plan` only reads; `perform` needs the held prefix lock. Blocking.
package struct Cleanup: Sendable {
    package let layout: PrefixLayout

    package init(layout: PrefixLayout) { self.layout = layout }

    /// One file of the download cache that cleanup considers.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package struct CacheFile: Sendable, Equatable {
        package var path: String
        package var bytes: Int64
        package var reason: String
    }

    /// What one cleanup is going to remove.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package struct Plan: Sendable, Equatable {
        package var kegs: [InstalledKeg] = []
        package var cacheFiles: [CacheFile] = []
        /// Bytes the plan frees (kegs and cache files).
        package var bytes: Int64 = 0
    }

    /// What a finished run did.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package struct Report: Sendable, Equatable {
        package var removedKegs: [InstalledKeg] = []
        package var removedFiles: [String] = []
        package var bytesFreed: Int64 = 0
        /// Entries that could not be removed, with the reason.
        package var failures: [String] = []
    }

    /// Age after which an unlocked `.incomplete` file is abandoned.
    package static let incompleteMaxAge: TimeInterval = 24 * 3600

    package func plan(inventory: PrefixInventory, pruneDays: Int? = nil, now: Date = Date()) -> Plan {
        var plan = Plan()
        var kept: Set<String> = []
        for formula in inventory.installed {
            let keep = Set([formula.optVersion, formula.linkedVersion, formula.pinnedVersion,
                            formula.activeKeg?.pkgVersion].compactMap { $0 })
            for keg in formula.kegs {
                if keep.contains(keg.pkgVersion) {
                    kept.insert(keg.name + "--" + keg.pkgVersion)
                } else {
                    plan.kegs.append(keg)
                    plan.bytes += KegRemoval.diskUsage(keg.path)
                }
            }
        }
        var sidecars: [String] = []
        for file in (PosixFS.children(layout.downloads) ?? []).sorted() {
            let path = layout.downloads + "/" + file
            if file.hasSuffix(".tar.gz.tab.json") {
                sidecars.append(path)  // settled below, once the bottles' fate is known
                continue
            }
            if file.hasSuffix(".lock") {
                // A bottle's download lock left by a killed process: nobody holds it.
                if CachedBottle(fileName: String(file.dropLast(".lock".count))) != nil, PosixFS.kind(path) == .file,
                   !FileLockProbe.isLocked(path) {
                    plan.cacheFiles.append(CacheFile(path: path, bytes: 0, reason: "download lock no process holds"))
                }
                continue
            }
            guard PosixFS.kind(path) == .file, let entry = CachedBottle(fileName: file),
                  let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { continue }
            let age = now.timeIntervalSince((attributes[.modificationDate] as? Date) ?? now)
            let bytes = (attributes[.size] as? NSNumber)?.int64Value ?? 0
            let reason: String?
            if entry.incomplete {
                reason = age > Cleanup.incompleteMaxAge && !FileLockProbe.isLocked(path) ? "abandoned partial download" : nil
            } else if !kept.contains(entry.name + "--" + entry.pkgVersion) {
                reason = "\(entry.name) \(entry.pkgVersion) is not installed"
            } else if let days = pruneDays, age > Double(days) * 86400 {
                reason = "older than \(days) day\(days == 1 ? "" : "s")"
            } else {
                reason = nil
            }
            if let reason {
                plan.cacheFiles.append(CacheFile(path: path, bytes: bytes, reason: reason))
                plan.bytes += bytes
            }
        }
        // A bottle's remembered tab (`BottleTab.sidecarPath`) goes with its bottle.
        let removed = Set(plan.cacheFiles.map(\.path))
        for sidecar in sidecars where PosixFS.kind(sidecar) == .file {
            let bottle = String(sidecar.dropLast(".tab.json".count))
            guard removed.contains(bottle) || PosixFS.kind(bottle) == .missing else { continue }
            let bytes = ((try? FileManager.default.attributesOfItem(atPath: sidecar))?[.size] as? NSNumber)?.int64Value ?? 0
            plan.cacheFiles.append(CacheFile(path: sidecar, bytes: bytes, reason: "tab of a bottle that is gone"))
            plan.bytes += bytes
        }
        return plan
    }

    /// Removes what `plan` lists. A keg is unlinked first (it should have no links, but a damaged
    /// prefix may point into it); failures are reported and the rest carries on.
    package func perform(_ plan: Plan, lock: PrefixLock) throws(LifecycleError) -> Report {
        try LifecycleLock.check(lock, layout: layout)
        var report = Report()
        let linker = KegLinker(layout: layout)
        for keg in plan.kegs where PosixFS.kind(keg.path) == .directory {
            do throws(LifecycleError) {
                do {
                    try linker.unlink(name: keg.name, pkgVersion: keg.pkgVersion, keepOpt: false, aliases: keg.receipt?.aliases)
                } catch {
                    throw LifecycleError.keg(error)
                }
                report.bytesFreed += try KegRemoval.remove(keg.path, layout: layout)
                report.removedKegs.append(keg)
            } catch {
                report.failures.append(error.description)
            }
        }
        for file in plan.cacheFiles {
            if file.path.hasSuffix(".lock") {
                // Removed only while we hold it; held meanwhile by a new download: it stays.
                if FileLockProbe.removeIfUnheld(file.path) { report.removedFiles.append(file.path) }
                continue
            }
            if posixUnlink(file.path) == 0 {
                report.removedFiles.append(file.path)
                report.bytesFreed += file.bytes
            } else {
                report.failures.append(LifecycleError.filesystem(operation: "remove", path: file.path, errno: errno).description)
            }
        }
        return report
    }
}

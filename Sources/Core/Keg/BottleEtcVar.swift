import Foundation

/// Installs a bottle's `.bottle/etc` and `.bottle/var` into the prefix, as brew does when pouring:
/// files missing from `<prefix>/etc|var` are copied there; a file that exists with different
/// contents is left alone and the bottle's version lands beside it as `<file>.default`, so a
/// user's configuration is never overwritten — unless it is identical to the `.bottle` copy an
/// older installed version of the formula shipped, i.e. the user never edited it: then the new
/// default replaces it, so untouched configs advance on upgrade (`install_renamed.rb`,
/// `formula.rb#install_etc_var`). The keg's `.bottle` directory stays in the keg for that
/// comparison, as brew keeps it.
///
/// Runs on the serial link queue (it writes into the shared prefix).
enum BottleEtcVar {
    static func install(kegPath: String, layout: PrefixLayout, package: String) throws(KegError) {
        let bottleDirectory = kegPath + "/.bottle"
        guard FileManager.default.fileExists(atPath: bottleDirectory) else { return }
        for top in ["etc", "var"] {
            let source = bottleDirectory + "/" + top
            guard let files = FileManager.default.enumerator(atPath: source) else { continue }
            for case let relative as String in files {
                let from = source + "/" + relative
                let to = layout.prefix + "/" + top + "/" + relative
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: from, isDirectory: &isDirectory) else { continue }
                do {
                    if isDirectory.boolValue {
                        try FileManager.default.createDirectory(atPath: to, withIntermediateDirectories: true)
                    } else if !FileManager.default.fileExists(atPath: to) {
                        try FileManager.default.copyItem(atPath: from, toPath: to)
                    } else if !FileManager.default.contentsEqual(atPath: from, andPath: to) {
                        if untouchedDefault(to, relative: top + "/" + relative, kegPath: kegPath) {
                            // The user never edited it: the new default replaces it.
                            try replace(to, with: from)
                        } else {
                            try? FileManager.default.removeItem(atPath: to + ".default")
                            try FileManager.default.copyItem(atPath: from, toPath: to + ".default")
                        }
                    }
                } catch {
                    throw KegError.filesystem(package: package, operation: "install \(top) file", path: to, errno: EIO)
                }
            }
        }
        // `<keg>/.bottle` stays: the next upgrade compares the user's files with it.
    }

    /// True when `live` (a file in `<prefix>/etc|var`) is identical to the `.bottle` copy of
    /// `relative` in another installed version of the same formula, i.e. the user never changed
    /// the default that version installed (`install_renamed.rb#append_default_if_different`).
    static func untouchedDefault(_ live: String, relative: String, kegPath: String) -> Bool {
        let rack = (kegPath as NSString).deletingLastPathComponent
        let this = (kegPath as NSString).lastPathComponent
        guard let versions = try? FileManager.default.contentsOfDirectory(atPath: rack) else { return false }
        for version in versions where version != this && !version.hasPrefix(".") {
            let old = rack + "/" + version + "/.bottle/" + relative
            var info = stat()
            guard lstat(old, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            if FileManager.default.contentsEqual(atPath: old, andPath: live) { return true }
        }
        return false
    }

    /// Puts a copy of `source` at `destination` in one rename, so the file is never missing or half written.
    static func replace(_ destination: String, with source: String) throws {
        let temporary = destination + ".pour-new"
        try? FileManager.default.removeItem(atPath: temporary)
        try FileManager.default.copyItem(atPath: source, toPath: temporary)
        guard rename(temporary, destination) == 0 else {
            let code = errno
            unlink(temporary)
            throw KegError.filesystem(package: nil, operation: "replace", path: destination, errno: code)
        }
    }
}

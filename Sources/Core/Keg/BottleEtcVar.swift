import Foundation

/// Installs a bottle's `.bottle/etc` and `.bottle/var` into the prefix, as brew does when pouring:
/// files missing from `<prefix>/etc|var` are copied there; a file that exists with different
/// contents is left alone and the bottle's version lands beside it as `<file>.default`, so a
/// user's configuration is never overwritten. The keg's `.bottle` directory is removed afterwards.
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
                        try? FileManager.default.removeItem(atPath: to + ".default")
                        try FileManager.default.copyItem(atPath: from, toPath: to + ".default")
                    }
                } catch {
                    throw KegError.filesystem(package: package, operation: "install \(top) file", path: to, errno: EIO)
                }
            }
        }
        try? FileManager.default.removeItem(atPath: bottleDirectory)
    }
}

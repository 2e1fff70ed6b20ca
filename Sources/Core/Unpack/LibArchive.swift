import CArchive

// libarchive's functions under their own names, inside PourCore, forwarding to the lazily loaded
// library (Sources/CArchive/shim.h): libarchive is not linked, so `pour --version`, search, info
// and the other commands that never extract do not load it and its dependencies at start-up
// (Docs/Performance.md, "Start-up"). A module's own declarations shadow the imported C ones, so
// the extractor's call sites read as plain libarchive calls; a libarchive function missing here
// fails the link (undefined symbol), never silently. Before the first call, `available` says
// whether the library could be loaded at all.
//
// Stateless forwarding functions; thread-safety is libarchive's (one archive object per thread).

enum LibArchive {
    /// Whether libarchive can be loaded (dlopen of libarchive.so.13 / libarchive.13.dylib).
    static var available: Bool { pour_archive_available() != 0 }
}

/// nil (reported as "could not allocate a reader") when libarchive cannot be loaded.
func archive_read_new() -> OpaquePointer? { LibArchive.available ? pour_archive_read_new() : nil }
@discardableResult func archive_read_free(_ a: OpaquePointer?) -> Int32 { pour_archive_read_free(a) }
@discardableResult func archive_read_support_filter_all(_ a: OpaquePointer?) -> Int32 { pour_archive_read_support_filter_all(a) }
@discardableResult func archive_read_support_format_tar(_ a: OpaquePointer?) -> Int32 { pour_archive_read_support_format_tar(a) }
func archive_read_open_filename(_ a: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ block: Int) -> Int32 {
    pour_archive_read_open_filename(a, path, block)
}
func archive_read_open(_ a: OpaquePointer?, _ client: UnsafeMutableRawPointer?,
                       _ open: (@convention(c) (OpaquePointer?, UnsafeMutableRawPointer?) -> Int32)?,
                       _ read: (@convention(c) (OpaquePointer?, UnsafeMutableRawPointer?,
                                                UnsafeMutablePointer<UnsafeRawPointer?>?) -> la_ssize_t)?,
                       _ close: (@convention(c) (OpaquePointer?, UnsafeMutableRawPointer?) -> Int32)?) -> Int32 {
    pour_archive_read_open(a, client, open, read, close)
}
func archive_read_next_header(_ a: OpaquePointer?, _ entry: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    pour_archive_read_next_header(a, entry)
}
func archive_read_data_block(_ a: OpaquePointer?, _ block: UnsafeMutablePointer<UnsafeRawPointer?>?,
                             _ size: UnsafeMutablePointer<Int>?, _ offset: UnsafeMutablePointer<la_int64_t>?) -> Int32 {
    pour_archive_read_data_block(a, block, size, offset)
}
func archive_error_string(_ a: OpaquePointer?) -> UnsafePointer<CChar>? { pour_archive_error_string(a) }
func archive_entry_pathname(_ e: OpaquePointer?) -> UnsafePointer<CChar>? { pour_archive_entry_pathname(e) }
func archive_entry_hardlink(_ e: OpaquePointer?) -> UnsafePointer<CChar>? { pour_archive_entry_hardlink(e) }
func archive_entry_symlink(_ e: OpaquePointer?) -> UnsafePointer<CChar>? { pour_archive_entry_symlink(e) }
func archive_entry_filetype(_ e: OpaquePointer?) -> mode_t { pour_archive_entry_filetype(e) }
func archive_entry_perm(_ e: OpaquePointer?) -> mode_t { pour_archive_entry_perm(e) }
func archive_entry_size(_ e: OpaquePointer?) -> la_int64_t { pour_archive_entry_size(e) }
func archive_entry_size_is_set(_ e: OpaquePointer?) -> Int32 { pour_archive_entry_size_is_set(e) }
func archive_entry_atime(_ e: OpaquePointer?) -> time_t { pour_archive_entry_atime(e) }
func archive_entry_atime_nsec(_ e: OpaquePointer?) -> Int { pour_archive_entry_atime_nsec(e) }
func archive_entry_atime_is_set(_ e: OpaquePointer?) -> Int32 { pour_archive_entry_atime_is_set(e) }
func archive_entry_mtime(_ e: OpaquePointer?) -> time_t { pour_archive_entry_mtime(e) }
func archive_entry_mtime_nsec(_ e: OpaquePointer?) -> Int { pour_archive_entry_mtime_nsec(e) }
func archive_entry_mtime_is_set(_ e: OpaquePointer?) -> Int32 { pour_archive_entry_mtime_is_set(e) }
func archive_entry_birthtime_is_set(_ e: OpaquePointer?) -> Int32 { pour_archive_entry_birthtime_is_set(e) }

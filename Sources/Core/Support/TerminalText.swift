/// Registry text (caveats, descriptions, homepages, names) made safe to write to a terminal.
/// Whoever publishes formula metadata must not be able to move the cursor, rewrite earlier
/// output, set the window title, plant OSC 8 links or answer-back sequences: escape sequences
/// (CSI `ESC [ … final`, OSC/DCS/APC/PM/SOS strings up to BEL or `ESC \`, two-byte `ESC x`),
/// C1 controls (U+0080–U+009F, the 8-bit CSI among them), DEL and every C0 control except
/// newline and tab (so `\r` cannot overwrite a line) are removed.
///
/// Stateless; safe from any queue.
package enum TerminalText {
    package static func sanitized(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var scalars = text.unicodeScalars.makeIterator()
        func next() -> Unicode.Scalar? { scalars.next() }
        while let scalar = next() {
            switch scalar.value {
            case 0x1B:
                guard let kind = next() else { break }
                switch kind {
                case "[":
                    // CSI: parameters and intermediates until a final byte 0x40–0x7E.
                    while let c = next() { if (0x40...0x7E).contains(c.value) { break } }
                case "]", "P", "_", "^", "X":
                    // String sequences end with BEL or ST (ESC \).
                    while let c = next() {
                        if c.value == 0x07 { break }
                        if c.value == 0x1B { _ = next(); break }
                    }
                default:
                    // Two-byte escape (ESC c, ESC 7…); a following printable byte is consumed with it.
                    break
                }
            case 0x9B:
                while let c = next() { if (0x40...0x7E).contains(c.value) { break } }
            case 0x9D, 0x90, 0x9F, 0x9E, 0x98:
                while let c = next() {
                    if c.value == 0x07 || c.value == 0x9C { break }
                    if c.value == 0x1B { _ = next(); break }
                }
            case 0x0A, 0x09:
                out.append(scalar)
            case 0x00...0x1F, 0x7F, 0x80...0x9F:
                continue
            default:
                out.append(scalar)
            }
        }
        return String(out)
    }
}

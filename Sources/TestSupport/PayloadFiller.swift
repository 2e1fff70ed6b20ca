/// Produces the "payload" bytes that bring a bottle to its size target. Real bottles mix
/// compressible text, semi-structured data and incompressible machine code; a benchmark on
/// all-zero or all-random files would measure the wrong thing, so this mixes three kinds whose
/// combined gzip ratio lands around 0.5–0.7.
///
/// A value type owned by one generating thread.
struct PayloadFiller {
    enum Kind: CaseIterable {
        /// Prose from a word list: gzip ratio ~0.3.
        case text
        /// Record lines with random hex fields: ratio ~0.5.
        case structured
        /// Seeded random bytes: ratio ~1.0.
        case random

        /// Share of payload bytes (uncompressed) for each kind.
        var share: Double {
            switch self {
            case .text: return 0.30
            case .structured: return 0.25
            case .random: return 0.45
            }
        }

        /// Expected gzip ratio, used to size files before they are compressed.
        var expectedRatio: Double {
            switch self {
            case .text: return 0.32
            case .structured: return 0.5
            case .random: return 1.0
            }
        }

        var fileExtension: String {
            switch self {
            case .text: return "txt"
            case .structured: return "csv"
            case .random: return "bin"
            }
        }
    }

    private static let words: [[UInt8]] = """
    the of and to in is for that with on as by from at this are be or an it which their build \
    library install package formula bottle prefix cellar version source archive compress stream \
    network socket buffer thread queue dispatch signal handler channel request response header \
    length offset range digest checksum verify extract relocate symlink hardlink directory file \
    option argument command default value error warning status result module function return \
    pointer memory allocate release object class struct protocol extension generic static dynamic \
    runtime linker loader interpreter section segment symbol string table index entry record \
    audio video codec frame sample rate bitrate encoder decoder filter format container muxer \
    demuxer packet pixel colour matrix vector scalar float integer boolean unsigned signed
    """.split(separator: " ").map { Array($0.utf8) }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private var random: SeededRandom
    private var lineWords = 0
    private var produced: [Kind: Int] = [:]

    init(random: SeededRandom) { self.random = random }

    /// The kind furthest below its share so far, so a bottle's payload keeps the target mix.
    mutating func nextKind() -> Kind {
        let total = max(1, produced.values.reduce(0, +))
        var best = Kind.random
        var bestDeficit = -Double.infinity
        for kind in Kind.allCases {
            let deficit = kind.share - Double(produced[kind, default: 0]) / Double(total)
            if deficit > bestDeficit {
                bestDeficit = deficit
                best = kind
            }
        }
        return best
    }

    mutating func record(_ kind: Kind, bytes: Int) { produced[kind, default: 0] += bytes }

    mutating func fill(_ buffer: UnsafeMutableBufferPointer<UInt8>, kind: Kind) {
        switch kind {
        case .random: fillRandom(buffer)
        case .text: fillText(buffer)
        case .structured: fillStructured(buffer)
        }
    }

    private mutating func fillRandom(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        var index = 0
        let count = buffer.count
        while index + 8 <= count {
            var value = random.next()
            withUnsafeBytes(of: &value) { raw in
                UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[index..<index + 8])
                    .copyMemory(from: raw)
            }
            index += 8
        }
        while index < count {
            buffer[index] = UInt8(truncatingIfNeeded: random.next())
            index += 1
        }
    }

    private mutating func fillText(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        var index = 0
        let count = buffer.count
        let words = Self.words
        while index < count {
            let word = words[random.below(words.count)]
            for byte in word where index < count {
                buffer[index] = byte
                index += 1
            }
            if index < count {
                lineWords += 1
                if lineWords >= 12 {
                    lineWords = 0
                    buffer[index] = 10
                } else {
                    buffer[index] = 32
                }
                index += 1
            }
        }
    }

    private mutating func fillStructured(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        var index = 0
        let count = buffer.count
        let prefix: [UInt8] = Array("rec,".utf8)
        let hex = Self.hexDigits
        let words = Self.words
        while index < count {
            var line = prefix
            var value = random.next()
            for _ in 0..<10 {
                line.append(hex[Int(value & 0xF)])
                value >>= 4
            }
            line.append(44)
            line.append(contentsOf: words[Int(value % UInt64(words.count))])
            line.append(44)
            let small = random.next()
            line.append(hex[Int(small & 0x7)])
            line.append(46)
            line.append(hex[Int((small >> 3) & 0x9)])
            line.append(10)
            for byte in line where index < count {
                buffer[index] = byte
                index += 1
            }
        }
    }
}

// swift-tools-version:6.0
// pour — a fast installer for Homebrew bottles on Grand Central Dispatch.
import PackageDescription

// Release builds of the `pour` CLI on Linux are linked by lld (shipped with the toolchain) with
// RELR relocations and a symbol order (Docs/Performance.md, "Issue 16, third pass: RSS"): relative
// relocations packed into 15 KB instead of 1.9 MB of `.rela.dyn` that the loader read at every
// start; and the ~1.6 MB of functions that `install`/`update`/`search`/… execute placed together
// at the front of `.text`, so the kernel's 64 KB fault-around maps them instead of ~10 MB of
// their cold neighbours. Regenerate the order with Scripts/generate-link-order.sh; names it
// lists that no longer exist are ignored. Needs glibc ≥ 2.36 (DT_RELR) where it runs.
let releaseLinking: [LinkerSetting] = [
    .unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
                  "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/Scripts/pour.order",
                  "-Xlinker", "--no-warn-symbol-ordering"],
                 .when(platforms: [.linux], configuration: .release)),
]

let package = Package(
    name: "pour",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "PourCore", targets: ["PourCore"]),
        .executable(name: "pour", targets: ["pour"]),
        .library(name: "PourTestSupport", targets: ["PourTestSupport"]),
        .executable(name: "pour-registry", targets: ["pour-registry"]),
        .executable(name: "pour-plugin-manager-example", targets: ["pour-plugin-manager-example"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.70.0"),
        // `swift package generate-documentation --target PourCore` (a command plugin: never built
        // by `swift build` or `swift test`).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // System libraries: one module map + shim header each, installed from apt.
        // libcurl is not linked but dlopen'ed on first use (Sources/CCurl/shim.h): its headers come
        // from the default include path (Debian: the multiarch directory), so no pkg-config flags.
        .systemLibrary(name: "CCurl", path: "Sources/CCurl",
                       providers: [.apt(["libcurl4-openssl-dev"]), .brew(["curl"])]),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd",
                       providers: [.apt(["libzstd-dev"]), .brew(["zstd"])]),
        // libarchive likewise is dlopen'ed on first use by PourCore (Sources/CArchive/shim.h); the
        // test support, which writes archives, links it.
        .systemLibrary(name: "CArchive", path: "Sources/CArchive",
                       providers: [.apt(["libarchive-dev"]), .brew(["libarchive"])]),
        // The formula index (`pour update/search/info`); FTS5 is compiled into Debian's and macOS's builds.
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite",
                       providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]),

        .target(name: "PourCore",
                dependencies: ["CCurl", "CCrypto", "CZstd", "CArchive", "CSQLite"],
                path: "Sources/Core"),
        .executableTarget(name: "pour",
                          dependencies: ["PourCore",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "Sources/CLI",
                          linkerSettings: releaseLinking),

        // The local registry (generator + HTTP server) used by tests, the demo and benchmarks.
        .target(name: "PourTestSupport",
                dependencies: ["PourCore", "CArchive", "CCrypto", "CCurl",
                               .product(name: "NIOCore", package: "swift-nio"),
                               .product(name: "NIOPosix", package: "swift-nio"),
                               .product(name: "NIOHTTP1", package: "swift-nio")],
                path: "Sources/TestSupport",
                linkerSettings: [.linkedLibrary("archive")]),
        .executableTarget(name: "pour-registry",
                          dependencies: ["PourTestSupport", "PourCore",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "Sources/RegistryTool"),

        // An embedder's view: a Dispatch-style app installing plugins with OperationQueue.
        .executableTarget(name: "pour-plugin-manager-example", dependencies: ["PourCore"],
                          path: "Examples/PluginManager"),

        .testTarget(name: "PourTestSupportTests", dependencies: ["PourTestSupport"],
                    path: "Tests/PourTestSupportTests"),
        .testTarget(name: "PourCoreTests", dependencies: ["PourCore"], path: "Tests/PourCoreTests",
                    linkerSettings: [.linkedLibrary("archive")]),
        // Installs against a real registry server on 127.0.0.1; also drives the real `pour` binary.
        .testTarget(name: "PourIntegrationTests", dependencies: ["PourCore", "PourTestSupport", "pour"],
                    path: "Tests/PourIntegrationTests"),
    ],
    swiftLanguageModes: [.v6]
)

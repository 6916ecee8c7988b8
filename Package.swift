// swift-tools-version:6.0
import PackageDescription

/// Dependencies run one way: gradsh -> GradShell -> GradLang -> GradCore.
let package = Package(
    name: "gradsh",
    products: [
        .executable(name: "gradsh", targets: ["gradsh"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CFuzzerDriver", path: "Sources/CFuzzerDriver"),
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
        .systemLibrary(
            name: "CEditLine", path: "Sources/CEditLine", pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"])]),
        // Exclusivity checks at run time cost more than a small tensor op; the evaluator is
        // single-threaded and the debug build keeps them. The package offers only the
        // executable, so no library product carries these flags to a dependent package; the
        // modules' API is `package`, not `public`.
        .target(
            name: "GradCore", dependencies: ["CBLAS"],
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]),
        .target(
            name: "GradLang", dependencies: ["GradCore"],
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]),
        .target(name: "GradShell", dependencies: ["GradCore", "GradLang", "CEditLine", "CMalloc"]),
        .executableTarget(
            name: "gradsh",
            dependencies: ["GradShell", "GradLang", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // Adversarial programs built from the shell's tables, for the fuzzer and the tests.
        .target(name: "GradFuzzing", dependencies: ["GradCore", "GradLang"]),
        .executableTarget(name: "gradsh-fuzz", dependencies: ["GradCore", "GradLang", "GradFuzzing", "CFuzzerDriver"]),
        .testTarget(name: "GradCoreTests", dependencies: ["GradCore"]),
        .testTarget(name: "GradLangTests", dependencies: ["GradCore", "GradLang", "GradFuzzing"]),
        .testTarget(
            name: "GradshTests", dependencies: ["GradShell"],
            exclude: []),
    ]
)

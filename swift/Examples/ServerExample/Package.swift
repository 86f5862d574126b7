// swift-tools-version: 6.2
// An example consumer of devtoken: a package of its own that depends on the repository by path,
// as a server app (Vapor, Hummingbird, ...) would by `.package(url:from:)`. From the repository
// root, after `bash swift/build-rust.sh`:
//
//     swift build --package-path swift/Examples/ServerExample
//     swift/Examples/ServerExample/.build/debug/ServerExample AuthKey_ABC123DEFG.p8

import PackageDescription

let package = Package(
    name: "ServerExample",
    dependencies: [
        // The repository root, where devtoken's Package.swift is.
        .package(name: "devtoken", path: "../../..")
    ],
    targets: [
        .executableTarget(
            name: "ServerExample",
            dependencies: [.product(name: "DevToken", package: "devtoken")],
            swiftSettings: [.treatAllWarnings(as: .error)]
        )
    ]
)

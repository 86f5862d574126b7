// Swift's signing cost against the Rust core's, measured in one run, and the cost of a cached
// provider token. From the repository root:
//
//     bash swift/build-rust.sh
//     bash tests/sources.sh cargo build --release --example sign_timing
//     swift build -c release --product DevTokenBenchmark
//     .build/release/DevTokenBenchmark [path/to/sign_timing] [--rounds 5] [--batches 20] [--ops 100]
//
// The Rust timer (examples/sign_timing.rs) defaults to target/release/examples/sign_timing, or
// $DEVTOKEN_SIGN_TIMING; it runs beside this process (`--serve`) and times a batch whenever asked.
// Both sides sign the same App Store Server API token: same key, key id, claims and fixed time
// (`Signer.signToken(_:claims:at:)` here, `Signer::sign_token_at` there; the tokens are compared).
// Batches alternate, one Swift then one Rust, so both see the same machine load. Each round
// prints the medians of its batches' ns/op and their ratio; the last line pools every batch.
// Then `TokenProvider.token()` on a cached APNs token, and a token through an external signer
// (a Swift closure) beside the in-memory signer. The goals are in the README's performance
// section. Nothing is asserted on the times; the exit status only says whether the run worked.
import DevToken
import Foundation

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("DevTokenBenchmark: \(message)\n".utf8))
    exit(1)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 0 ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[middle]
}

/// The ns per call of `ops` calls of `body`.
func nanosecondsPerOp(ops: Int, _ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<ops { try body() }
    return Double(DispatchTime.now().uptimeNanoseconds - start) / Double(ops)
}

func formatted(_ value: Double, decimals: Int = 0, width: Int = 0) -> String {
    let text = String(format: "%.\(decimals)f", value)
    return String(repeating: " ", count: max(0, width - text.count)) + text
}

/// examples/sign_timing.rs running with `--serve`: prints `token <token>`, then times one batch
/// per number written to its input and answers `ns_per_op <x>`.
final class RustTimer {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var buffered: [UInt8] = []
    private(set) var token = ""

    init(path: String, arguments: [String]) throws {
        process.executableURL = URL(filePath: path)
        process.arguments = arguments + ["--serve"]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        token = value(of: "token")
    }

    /// The Rust side's ns per token over a batch of `ops` tokens.
    func batch(ops: Int) throws -> Double {
        try input.fileHandleForWriting.write(contentsOf: Data("\(ops)\n".utf8))
        guard let nanoseconds = Double(value(of: "ns_per_op")) else { fail("the Rust timer answered no number") }
        return nanoseconds
    }

    /// Closes its input, which ends it.
    func finish() throws {
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    /// The value of the next output line, which must be `name value`.
    private func value(of name: String) -> String {
        while !buffered.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { fail("the Rust timer ended early (status \(process.terminationStatus))") }
            buffered += chunk
        }
        let newline = buffered.firstIndex(of: UInt8(ascii: "\n"))!
        let line = String(decoding: buffered[..<newline], as: UTF8.self)
        buffered.removeSubrange(...newline)
        guard line.hasPrefix("\(name) ") else { fail("expected `\(name) ...` from the Rust timer, got: \(line)") }
        return String(line.dropFirst(name.count + 1))
    }
}

/// The work both sides time and how much of it.
struct Benchmark {
    /// The repository root, found from this file's path, so the benchmark runs from anywhere.
    static let repositoryRoot = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    var rustTimer = ProcessInfo.processInfo.environment["DEVTOKEN_SIGN_TIMING"]
        ?? repositoryRoot.appending(path: "target/release/examples/sign_timing").path(percentEncoded: false)
    var rounds = 5
    var batches = 20
    var ops = 100

    let keyFile = repositoryRoot.appending(path: "tests/vectors/keys/p256.pem")
    let keyId = "ABC123DEFG"
    let issuer = "57246542-96fe-1a63-e053-0824d011072a"
    let bundleId = "com.example.app"
    let now: Int64 = 1_700_000_000

    /// An optional path to the Rust timer, then `--name value` options.
    init(arguments: [String]) {
        var arguments = arguments[...]
        while let argument = arguments.popFirst() {
            guard argument.hasPrefix("--") else {
                rustTimer = argument
                continue
            }
            guard let value = arguments.popFirst().flatMap({ Int($0) }), value > 0 else {
                fail("\(argument) takes a positive whole number")
            }
            switch argument {
            case "--rounds": rounds = value
            case "--batches": batches = value
            case "--ops": ops = value
            default: fail("unknown option \(argument)")
            }
        }
        guard FileManager.default.isExecutableFile(atPath: rustTimer) else {
            fail("no Rust timer at \(rustTimer): bash tests/sources.sh cargo build --release --example sign_timing")
        }
    }

    func run() throws {
        let signer = try Signer(contentsOf: keyFile, keyId: keyId)
        let claims = Claims(issuer: issuer, bundleId: bundleId)
        let date = Date(timeIntervalSince1970: TimeInterval(now))
        var sink = 0
        func swiftBatch() throws -> Double {
            try nanosecondsPerOp(ops: ops) {
                sink &+= try signer.signToken(.appStoreServer, claims: claims, at: date).utf8.count
            }
        }

        let rust = try RustTimer(
            path: rustTimer,
            arguments: [
                "--key", keyFile.path(percentEncoded: false), "--kid", keyId, "--issuer", issuer,
                "--bundle-id", bundleId, "--now", String(now),
            ])
        guard rust.token == (try signer.signToken(.appStoreServer, claims: claims, at: date)) else {
            fail("the Rust timer signs another token (not the same key, claims or time):\n\(rust.token)")
        }
        _ = try swiftBatch()  // warm-up
        _ = try rust.batch(ops: ops)

        print("Signer.signToken(.appStoreServer, claims:, at:) in Swift vs Signer::sign_token_at in Rust")
        print(
            "(\(rounds) rounds of \(batches) Swift batches alternating with \(batches) Rust batches, "
                + "\(ops) tokens each)"
        )
        print("round    Swift ns/op   Rust ns/op  Swift/Rust")
        var swiftAll: [Double] = []
        var rustAll: [Double] = []
        for round in 1...rounds {
            var swiftRound: [Double] = []
            var rustRound: [Double] = []
            for _ in 0..<batches {
                swiftRound.append(try swiftBatch())
                rustRound.append(try rust.batch(ops: ops))
            }
            let (swift, rust) = (median(swiftRound), median(rustRound))
            print(
                formatted(Double(round), width: 5), formatted(swift, width: 14), formatted(rust, width: 12),
                formatted(swift / rust, decimals: 3, width: 11))
            swiftAll += swiftRound
            rustAll += rustRound
        }
        try rust.finish()
        let (swift, rustMedian) = (median(swiftAll), median(rustAll))
        print(
            "all  ", formatted(swift, width: 14), formatted(rustMedian, width: 12),
            formatted(swift / rustMedian, decimals: 3, width: 11), " (goal ≤ 1.10)")

        let provider = try TokenProvider(signer: signer, service: .apns, claims: Claims(issuer: "DEF123GHIJ"))
        sink &+= try provider.token().utf8.count  // signs the token the batches then read
        let cached = try median(
            (0..<batches).map { _ in try nanosecondsPerOp(ops: 100_000) { sink &+= try provider.token().utf8.count } })
        print(
            "TokenProvider.token(), cached APNs token: \(formatted(cached, decimals: 1)) ns/op (goal < 1000);",
            "tokens the provider signed: \(provider.signatureCount)")

        // The external-signer path from Swift: a closure that answers with the signature the
        // in-memory signer made for the same key, claims and time (so the same digest), which leaves
        // out the cryptography a KMS or HSM would do and measures what the face and the core add:
        // the callback crossing, the normalisation and the check against the declared public key.
        let stored = try signer.signToken(.appStoreServer, claims: claims, at: date)
        let signature = base64URLDecoded(String(stored.split(separator: ".")[2]))
        let external = try Signer(publicKeyPEM: signer.publicKeyPEM, keyId: keyId) { _ in signature }
        guard try external.signToken(.appStoreServer, claims: claims, at: date) == stored else {
            fail("the external signer's token differs from the in-memory one")
        }
        var inMemory: [Double] = []
        var throughCallback: [Double] = []
        for _ in 0..<batches {
            inMemory.append(try swiftBatch())
            throughCallback.append(try nanosecondsPerOp(ops: ops) {
                sink &+= try external.signToken(.appStoreServer, claims: claims, at: date).utf8.count
            })
        }
        let (memory, callback) = (median(inMemory), median(throughCallback))
        print(
            "external signer, Swift closure with a stored signature: \(formatted(callback)) ns/op;",
            "in-memory: \(formatted(memory)) ns/op; ratio \(formatted(callback / memory, decimals: 2))")
        if sink == 0 { print("") }  // uses the results
    }
}

/// The bytes of a base64url text without padding (a JWS segment).
func base64URLDecoded(_ text: String) -> Data {
    var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
    guard let data = Data(base64Encoded: base64) else { fail("not base64url: \(text)") }
    return data
}

do {
    try Benchmark(arguments: Array(CommandLine.arguments.dropFirst())).run()
} catch {
    fail(String(describing: error))
}

// devtoken's Swift plumbing in one binary: generates a key, signs a Maps token and verifies it,
// all through the DevToken library. Built with `swift build -c release --static-swift-stdlib`,
// it carries the Rust library and the Swift runtime (Foundation included), so it runs on a Linux
// machine without a Swift toolchain or libdevtoken.so; the exit status says whether it worked.
import DevToken

let signer = try Signer.generate(keyId: "SMOKE00001")
let token = try signer.signToken(.maps, claims: Claims(issuer: "ABCDE12345"))
let decoded = try verifyToken(token, publicKeyPEM: signer.publicKeyPEM)
print("signed and verified: header \(decoded.headerJson), claims \(decoded.claimsJson)")

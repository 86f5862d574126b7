// Run by `mvn verify` as `java -cp <packaged jar>:<runtime deps> PackagedJarSmoke.java`, with no
// library path: proves libdevtoken.so loads from inside the jar and signs from plain Java.

import dev.devtoken.DevToken;
import dev.devtoken.ffi.Claims;
import dev.devtoken.ffi.Service;
import dev.devtoken.Signer;
import java.util.List;

public class PackagedJarSmoke {
    public static void main(String[] args) {
        Signer signer = Signer.generate("ABC123DEFG");
        Claims claims = new Claims(
                "DEF123GHIJ", null, null, 600L, List.of("https://example.com"), null, null, List.of(), null);
        String token = signer.signToken(Service.APPLE_MUSIC, claims);
        String claimsJson = DevToken.verifyToken(token, signer.publicKeyPem()).getClaimsJson();
        if (!claimsJson.contains("\"iss\":\"DEF123GHIJ\"")) {
            throw new AssertionError("unexpected claims " + claimsJson);
        }
        System.out.println("packaged jar signs and verifies from plain java -cp: " + claimsJson);
    }
}

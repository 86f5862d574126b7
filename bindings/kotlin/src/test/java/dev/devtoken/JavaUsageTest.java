package dev.devtoken;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.devtoken.ffi.Claims;
import dev.devtoken.ffi.Finding;
import dev.devtoken.ffi.NetworkOptions;
import dev.devtoken.ffi.IntroOfferEligibility;
import dev.devtoken.ffi.PromotionalOffer;
import dev.devtoken.ffi.PromotionalOfferV1;
import dev.devtoken.ffi.PromotionalOfferV1Signature;
import dev.devtoken.ffi.Service;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The API as a Java caller sees it. */
class JavaUsageTest {
    @Test
    void signVerifyAndCatchFromJava() {
        Signer signer = Signer.generate("ABC123DEFG");
        Claims claims = new Claims();
        claims.setIssuer("57246542-96fe-1a63-e053-0824d011072a");
        claims.setTtl(300L);
        claims.setBundleId("com.example.app");
        String token = signer.signToken(Service.APP_STORE_SERVER, claims);
        assertTrue(DevToken.verifyToken(token, signer.publicKeyPem())
                .getClaimsJson()
                .contains("\"bid\":\"com.example.app\""));
        List<Finding> findings = DevToken.inspectToken(token, Service.APP_STORE_SERVER);
        assertTrue(findings.stream().noneMatch(f -> f.getLevel() == dev.devtoken.ffi.Level.ERROR));

        Claims tooLong = new Claims("57246542-96fe-1a63-e053-0824d011072a", null, null, 7200L,
                List.of(), "com.example.app", null, List.of(), null);
        InvalidClaimsException error = assertThrows(InvalidClaimsException.class,
                () -> signer.signToken(Service.APP_STORE_SERVER, tooLong));
        assertEquals("max_lifetime", error.getRule());
        assertTrue(error instanceof DevTokenException);
    }

    @Test
    void externalSignerFromJava() throws Exception {
        java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("EC");
        generator.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        java.security.KeyPair pair = generator.generateKeyPair();
        String pem = "-----BEGIN PUBLIC KEY-----\n"
                + java.util.Base64.getMimeEncoder().encodeToString(pair.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
        ExternalSigner jdk = digest -> {
            java.security.Signature ecdsa = java.security.Signature.getInstance("NONEwithECDSA");
            ecdsa.initSign(pair.getPrivate());
            ecdsa.update(digest);
            return ecdsa.sign();
        };
        Claims claims = new Claims();
        claims.setIssuer("DEF123GHIJ");
        Signer signer = Signer.fromExternal(pem, "ABC123DEFG", jdk);
        DevToken.verifyToken(signer.signToken(Service.APPLE_MUSIC, claims), pem);
        Signer slow = Signer.fromExternal(pem, "ABC123DEFG", java.time.Duration.ofSeconds(2), jdk);
        assertEquals(java.time.Duration.ofSeconds(2), slow.getExternalTimeout());
        ExternalSignerException failed = assertThrows(ExternalSignerException.class,
                () -> Signer.fromExternal(pem, "ABC123DEFG", digest -> new byte[] {1, 2, 3})
                        .signToken(Service.APPLE_MUSIC, claims));
        assertEquals("signature_shape", failed.getRule());
    }

    @Test
    void oauthAccessTokenFromJava() {
        Signer signer = Signer.generate("d7f3a1c2-5b6e-4f80-9a1b-2c3d4e5f6a7b");
        String client = "BUSINESSAPI.27478e71-3bb0-4588-998c-182e2b405577";
        try (AppleStandIn apple = new AppleStandIn(signer.publicKeyPem())) {
            NetworkOptions network = new NetworkOptions();
            network.setBaseUrl(apple.getBaseUrl());
            OAuthTokenProvider business =
                    new OAuthTokenProvider(signer, Service.BUSINESS_MANAGER, client, null, network);
            assertEquals("oauth-1", business.accessToken());
            assertTrue(business.invalidate());
            assertEquals("oauth-2", business.accessToken());
            assertEquals(2L, business.getExchangeCount());
        }
        InvalidClaimsException wrongPrefix = assertThrows(InvalidClaimsException.class,
                () -> new OAuthTokenProvider(signer, Service.SCHOOL_MANAGER, client));
        assertEquals("iss", wrongPrefix.getField());
        assertEquals("format", wrongPrefix.getRule());
    }

    @Test
    void storeKitSignaturesFromJava() {
        Signer signer = Signer.generate("ABC123DEFG");
        String issuer = "57246542-96fe-1a63-e053-0824d011072a";
        String token = signer.promotionalOffer(
                new PromotionalOffer(issuer, "com.example.app", "com.example.monthly", "SAVE50", null, null));
        assertTrue(DevToken.verifyToken(token, signer.publicKeyPem()).getClaimsJson()
                .contains("\"aud\":\"promotional-offer\""));
        PromotionalOfferV1 offer = new PromotionalOfferV1("com.example.app", "com.example.monthly", "SAVE50",
                null, "3d5f7a9b-2c4e-4f60-9182-a3b4c5d6e7f8", 1_700_000_000_123L);
        PromotionalOfferV1Signature signed = signer.promotionalOfferV1(offer);
        assertTrue(DevToken.verifyPromotionalOfferV1(
                offer, signed.getKeyId(), signed.getSignature(), signer.publicKeyPem()));
        InvalidClaimsException error = assertThrows(InvalidClaimsException.class,
                () -> signer.introOfferEligibility(
                        new IntroOfferEligibility(issuer, "com.example.app", "com.example.monthly", true, "", null)));
        assertEquals("transactionId", error.getField());
        assertEquals("required", error.getRule());
    }
}

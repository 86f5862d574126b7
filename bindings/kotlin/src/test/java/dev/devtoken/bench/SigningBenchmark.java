package dev.devtoken.bench;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.devtoken.DevToken;
import dev.devtoken.Signer;
import dev.devtoken.TokenProvider;
import dev.devtoken.ffi.Claims;
import dev.devtoken.ffi.Service;
import dev.devtoken.ffi.SigningBackend;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Not a test: {@code mvn -Pbench verify} runs these JMH benchmarks in one forked JVM and prints
 * devtoken's {@code signToken} (comb and stock p256) against Nimbus JOSE+JWT ES256 signing of
 * the same header and claims with the same key, as ratios measured in the same run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(1)
public class SigningBenchmark {
    private static final long NOW = 1_700_000_000L;
    private static final String ISSUER = "57246542-96fe-1a63-e053-0824d011072a";
    private static final String KEY_ID = "ABC123DEFG";

    private Signer comb;
    private Signer stock;
    private Signer external;
    private ECPrivateKey jdkKey;
    private final byte[] digest = new byte[32];
    private Claims claims;
    private TokenProvider provider;
    private ECDSASigner nimbusSigner;
    private JWSHeader nimbusHeader;
    private JWTClaimsSet nimbusClaims;

    @Setup
    public void setUp() throws Exception {
        String pem = DevToken.generatePrivateKeyPem();
        comb = Signer.fromPem(pem, KEY_ID);
        stock = Signer.fromPem(pem, KEY_ID, 60L, SigningBackend.STOCK_P256);
        claims = new Claims(ISSUER, NOW, null, 300L, List.of(), "com.example.app", null, List.of(), null);
        provider = new TokenProvider(comb, Service.APPLE_MUSIC,
                new Claims("DEF123GHIJ", null, null, null, List.of(), null, null, List.of(), null));

        byte[] der = Base64.getMimeDecoder().decode(pem.lines()
                .filter(line -> !line.startsWith("-----")).collect(Collectors.joining()));
        ECPrivateKey key = (ECPrivateKey) KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
        nimbusSigner = new ECDSASigner(key);
        jdkKey = key;
        external = Signer.fromExternal(comb.publicKeyPem(), KEY_ID, this::jdkSignDigest);
        nimbusHeader = new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(KEY_ID).type(JOSEObjectType.JWT).build();
        nimbusClaims = new JWTClaimsSet.Builder()
                .issuer(ISSUER)
                .issueTime(new Date(NOW * 1000))
                .expirationTime(new Date((NOW + 300) * 1000))
                .audience("appstoreconnect-v1")
                .claim("bid", "com.example.app")
                .build();
    }

    @TearDown
    public void tearDown() {
        provider.close();
        comb.close();
        stock.close();
        external.close();
    }

    /** The JDK's ECDSA over a digest as it is (NONEwithECDSA, DER): a KMS client's shape. */
    private byte[] jdkSignDigest(byte[] digest) throws GeneralSecurityException {
        java.security.Signature signature = java.security.Signature.getInstance("NONEwithECDSA");
        signature.initSign(jdkKey);
        signature.update(digest);
        return signature.sign();
    }

    /** A fresh App Store Server API token: validation, JSON, base64url and the signature. */
    @Benchmark
    public String devtokenSignToken() {
        return comb.signToken(Service.APP_STORE_SERVER, claims, NOW);
    }

    /** The same with p256's own signer instead of the comb. */
    @Benchmark
    public String devtokenSignTokenStockP256() {
        return stock.signToken(Service.APP_STORE_SERVER, claims, NOW);
    }

    /** The peer: Nimbus JOSE+JWT ES256 with the JDK's provider, same header and claims. */
    @Benchmark
    public String nimbusSign() throws JOSEException {
        SignedJWT jwt = new SignedJWT(nimbusHeader, nimbusClaims);
        jwt.sign(nimbusSigner);
        return jwt.serialize();
    }

    /** A token through an external signer whose callback is the JDK's NONEwithECDSA. */
    @Benchmark
    public String devtokenSignTokenExternalJdkCallback() {
        return external.signToken(Service.APP_STORE_SERVER, claims, NOW);
    }

    /** That callback alone, for what devtoken adds around it (crossings, DER, verification). */
    @Benchmark
    public byte[] jdkNoneWithEcdsaAlone() throws GeneralSecurityException {
        return jdkSignDigest(digest);
    }

    /** A cached provider token: the lean JNA crossing plus a lock-free read. */
    @Benchmark
    public String devtokenCachedProviderToken() {
        return provider.token();
    }

    /** The same from two threads at once: shared-memory traffic between readers shows here. */
    @Benchmark
    @Threads(2)
    public String devtokenCachedProviderTokenTwoThreads() {
        return provider.token();
    }

    /** One generated uniffi call that returns a short string: the crossing the lean path avoids. */
    @Benchmark
    public String uniffiCrossingKeyId() {
        return comb.getKeyId();
    }

    /** Runs every benchmark above (or those matching args[0]) and prints the ratios. */
    public static void main(String[] args) throws RunnerException {
        OptionsBuilder options = new OptionsBuilder();
        options.include(SigningBenchmark.class.getName() + "." + (args.length > 0 ? args[0] : ""));
        Collection<RunResult> results = new Runner(options.build()).run();
        Map<String, Double> micros = new TreeMap<>();
        for (RunResult result : results) {
            String label = result.getParams().getBenchmark();
            micros.put(label.substring(label.lastIndexOf('.') + 1), result.getPrimaryResult().getScore());
        }
        System.out.printf("%nJDK %s%n", System.getProperty("java.runtime.version"));
        micros.forEach((name, us) -> System.out.printf("%-39s %6.2f µs%n", name, us));
        Double nimbus = micros.get("nimbusSign");
        if (nimbus != null) {
            for (String devtoken : List.of("devtokenSignToken", "devtokenSignTokenStockP256")) {
                if (micros.containsKey(devtoken)) {
                    System.out.printf("Nimbus / %-30s %6.2f%n", devtoken, nimbus / micros.get(devtoken));
                }
            }
        }
    }
}

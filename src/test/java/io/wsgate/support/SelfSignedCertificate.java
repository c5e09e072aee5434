package io.wsgate.support;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed certificate (for {@code localhost} and {@code 127.0.0.1} unless told otherwise), made by the JDK's {@code keytool} into a
 * directory: a PKCS12 key store (for a Spring Boot SSL bundle) and the certificate as PEM (for a trust store).
 */
public record SelfSignedCertificate(Path keyStore, Path certificate) {

    public static final String PASSWORD = "changeit";

    public static SelfSignedCertificate create(Path dir, String name) {
        return create(dir, name, "dns:localhost,ip:127.0.0.1");
    }

    /** A certificate for the subject alternative names {@code san} only ({@code dns:host,ip:address}). */
    public static SelfSignedCertificate create(Path dir, String name, String san) {
        Path keyStore = dir.resolve(name + ".p12");
        Path certificate = dir.resolve(name + ".crt");
        keytool(
                "-genkeypair",
                "-alias",
                name,
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-validity",
                "2",
                "-dname",
                "CN=localhost",
                "-ext",
                "SAN=" + san,
                "-storetype",
                "PKCS12",
                "-keystore",
                keyStore.toString(),
                "-storepass",
                PASSWORD,
                "-keypass",
                PASSWORD);
        keytool(
                "-exportcert",
                "-rfc",
                "-alias",
                name,
                "-keystore",
                keyStore.toString(),
                "-storepass",
                PASSWORD,
                "-file",
                certificate.toString());
        return new SelfSignedCertificate(keyStore, certificate);
    }

    /** Spring Boot properties of a JKS-style bundle {@code bundle} holding this key, for {@code server.ssl.bundle}. */
    public List<String> serverBundleArgs(String bundle) {
        String prefix = "--spring.ssl.bundle.jks." + bundle + ".keystore.";
        return List.of(
                prefix + "location=file:" + this.keyStore,
                prefix + "password=" + PASSWORD,
                prefix + "type=PKCS12",
                "--server.ssl.bundle=" + bundle);
    }

    /** A TLS context that trusts this certificate only. */
    public SSLContext trustingContext() {
        try (InputStream in = Files.newInputStream(this.certificate)) {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            trust.setCertificateEntry(
                    "trusted", CertificateFactory.getInstance("X.509").generateCertificate(in));
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static void keytool(String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        try {
            Process process =
                    new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("keytool failed: " + output);
            }
        } catch (IOException ex) {
            throw new IllegalStateException(ex);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }
}

package io.wsgate.support;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * The programs from Debian packages that some tests run (prometheus, redis-server): a test without them is skipped
 * with a message, unless its {@code WSGATE_REQUIRE_*} variable is {@code 1} (as in CI, which installs them): then it
 * fails.
 */
public final class InstalledBinaries {

    private InstalledBinaries() {}

    /** Skips the test unless every one of {@code binaries} is on the PATH; fails it instead with {@code requireVar=1}. */
    public static void assume(String requireVar, String aptPackage, String... binaries) {
        boolean installed = true;
        for (String binary : binaries) {
            installed &= onPath(binary);
        }
        String names = String.join("/", binaries);
        if (!installed && "1".equals(System.getenv(requireVar))) {
            throw new AssertionError(names + " not installed but " + requireVar + "=1");
        }
        Assumptions.assumeTrue(installed, names + " is not installed (apt-get install " + aptPackage + "): skipped");
    }

    private static boolean onPath(String binary) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, binary))) {
                return true;
            }
        }
        return false;
    }
}

package dev.dlv;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.harness.Neo4j;
import org.neo4j.harness.Neo4jBuilders;

/**
 * In-process Neo4j (community, via neo4j-harness) for tests and local development.
 *
 * <p>Usage: {@code java -cp <classpath> Neo4jDev.java [WORKDIR] [PORT]} (source-file mode),
 * or compiled with javac and run as {@code dev.dlv.Neo4jDev} (what tests/services/neo4j.py
 * does). WORKDIR/PORT may also come from env NEO4J_DEV_DIR / NEO4J_DEV_PORT; PORT 0 or
 * absent picks a free port. NEO4J_DEV_PAGECACHE_MB sets the page cache (default 64).
 *
 * <p>Prints exactly one line {@code BOLT_URI=bolt://127.0.0.1:PORT} to stdout once Bolt
 * accepts connections, then blocks on stdin; on EOF (or SIGTERM) it shuts the server down
 * and exits 0. Everything else goes to stderr or to the log files under WORKDIR.
 * The harness creates a random sub-directory of WORKDIR and deletes it on close.
 */
public final class Neo4jDev {
    private Neo4jDev() {}

    public static void main(String[] args) throws Exception {
        // Keep stdout for the single URI line only: anything a library prints goes to stderr.
        PrintStream out = System.out;
        System.setOut(System.err);

        String dirArg = args.length > 0 ? args[0] : System.getenv("NEO4J_DEV_DIR");
        String portArg = args.length > 1 ? args[1] : System.getenv("NEO4J_DEV_PORT");
        String pcArg = System.getenv("NEO4J_DEV_PAGECACHE_MB");
        int port = portArg == null || portArg.isBlank() ? 0 : Integer.parseInt(portArg.trim());
        long pageCacheMb = pcArg == null || pcArg.isBlank() ? 64 : Long.parseLong(pcArg.trim());
        boolean tempDir = dirArg == null || dirArg.isBlank();
        Path workDir = tempDir
                ? Files.createTempDirectory("neo4j-dev-")
                : Files.createDirectories(Path.of(dirArg)).toAbsolutePath();

        Neo4j neo4j = Neo4jBuilders.newInProcessBuilder(workDir)
                .withDisabledServer() // no HTTP/HTTPS connector
                .withConfig(HttpConnector.enabled, false)
                .withConfig(HttpsConnector.enabled, false)
                .withConfig(BoltConnector.enabled, true)
                .withConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .withConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
                .withConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .withConfig(GraphDatabaseSettings.auth_enabled, false)
                .withConfig(GraphDatabaseSettings.pagecache_memory, pageCacheMb * 1024 * 1024)
                // Never phone home (no network here, and outbound traffic is unwanted anyway).
                .withConfig(GraphDatabaseSettings.udc_enabled, false)
                .withConfig(GraphDatabaseInternalSettings.udc_network_enabled, false)
                // Netty's default graceful-shutdown quiet period makes close() take ~10 s.
                .withConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                .withConfig(GraphDatabaseInternalSettings.netty_server_shutdown_timeout, Duration.ofSeconds(5))
                .build();

        AtomicBoolean closed = new AtomicBoolean();
        Runnable shutdown = () -> {
            if (closed.compareAndSet(false, true)) {
                try {
                    neo4j.close(); // also deletes the harness's random sub-directory
                    if (tempDir) {
                        Files.deleteIfExists(workDir);
                    }
                } catch (RuntimeException | IOException e) {
                    e.printStackTrace(System.err);
                }
            }
        };
        Runtime.getRuntime().addShutdownHook(new Thread(shutdown, "neo4j-dev-shutdown"));

        int boundPort = neo4j.boltURI().getPort();
        out.println("BOLT_URI=bolt://127.0.0.1:" + boundPort);
        out.flush();
        System.err.println("neo4j-dev: ready on bolt://127.0.0.1:" + boundPort + " (workdir " + workDir + ")");

        InputStream in = System.in;
        byte[] buf = new byte[256];
        try {
            while (in.read(buf) != -1) {
                // ignore input; EOF means the parent is gone or wants us to stop
            }
        } catch (IOException ignored) {
            // treat as EOF
        }
        System.err.println("neo4j-dev: stdin closed, shutting down");
        shutdown.run();
        System.exit(0);
    }
}

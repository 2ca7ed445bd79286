package io.scoria.accelerator.health;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReadinessTest {
    @TempDir
    Path dir;

    private static HealthCheck check(String name, java.util.function.Supplier<CheckResult> body) {
        return new HealthCheck() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public CheckResult check() {
                return body.get();
            }
        };
    }

    @Test
    void aCheckThatDoesNotAnswerInTimeFailsAndIsNotStartedTwice() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger started = new AtomicInteger();
        HealthCheck hanging = check("backend", () -> {
            started.incrementAndGet();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return CheckResult.pass("backend", "late");
        });
        try (Readiness r = new Readiness(List.of(hanging, check("flash", () -> CheckResult.pass("flash", "room"))),
                Duration.ofMillis(200), Duration.ZERO)) {
            Readiness.Report report = r.check();
            assertFalse(report.ready());
            assertEquals(List.of("backend"), report.failing().stream().map(CheckResult::name).toList());
            assertTrue(report.failing().get(0).detail().contains("no answer within 200 ms"), report.toString());
            r.check();
            assertEquals(1, started.get(), "a running check was started again");
            release.countDown();
            Thread.sleep(100);
            assertTrue(r.check().ready());
        }
    }

    @Test
    void reportsAreKeptForTheCachePeriod() {
        AtomicInteger runs = new AtomicInteger();
        try (Readiness r = new Readiness(List.of(check("x", () -> {
            runs.incrementAndGet();
            return CheckResult.pass("x", "ok");
        })), Duration.ofSeconds(1), Duration.ofMinutes(1))) {
            r.check();
            r.check();
            assertEquals(1, runs.get());
        }
    }

    @Test
    void flashBelowTheMinimumFails() {
        assertTrue(new FlashSpaceCheck(dir, 0).check().ok());
        CheckResult full = new FlashSpaceCheck(dir, Long.MAX_VALUE).check();
        assertFalse(full.ok());
        assertTrue(full.detail().startsWith("flash nearly full"), full.detail());
    }

    @Test
    void focCheckFailsWhenNothingListensOrAVolumeIsDegraded() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            InetSocketAddress up = new InetSocketAddress("127.0.0.1", s.getLocalPort());
            assertTrue(new FocCheck(up, Duration.ofSeconds(1), List::of).check().ok());
            CheckResult degraded = new FocCheck(up, Duration.ofSeconds(1), () -> List.of("vm\n1")).check();
            assertFalse(degraded.ok());
            assertTrue(degraded.detail().contains("\"vm\\n1\""), degraded.detail());
        }
        int closed;
        try (ServerSocket s = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        CheckResult down = new FocCheck(new InetSocketAddress("127.0.0.1", closed), Duration.ofSeconds(1), List::of).check();
        assertFalse(down.ok());
        assertTrue(down.detail().contains("unreachable"), down.detail());
    }
}

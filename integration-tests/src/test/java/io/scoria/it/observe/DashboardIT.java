package io.scoria.it.observe;

import io.scoria.it.harness.ManagedProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The web dashboard in a real browser: Debian's headless {@code chromium} driven by Selenium
 * through {@code chromedriver}, against a real {@code scoria serve} on free loopback ports, with
 * qemu-io and fio doing NBD I/O. The first test signs in (a wrong token first, refused), creates a
 * volume (a bad name first, refused), sees the write IOPS figure move while fio writes, takes a
 * snapshot (and one named like an HTML element, shown as text), makes a clone of it, cancels a
 * rollback and then confirms one, makes three clones as a job and follows it on the jobs page,
 * checking the bytes over NBD after each step; it saves a 1280x800 screenshot of the volume page
 * to {@code integration-tests/target/dashboard.png} (and {@code docs/dashboard.png} with
 * {@code -Dscoria.dashboard.screenshot=docs}). The second runs a router on a distributor over three directories,
 * wipes one, sees the alert, repairs from the browser, then resizes and deletes with confirmation.
 * Both check that the browser console logged no warning or error beyond the refusals they provoked.
 */
class DashboardIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private Router router;
    private WebDriver browser;
    private ManagedProcess fio;

    @AfterEach
    void stop() {
        if (fio != null) {
            fio.close();
        }
        if (browser != null) {
            browser.quit();
        }
        if (router != null) {
            router.close();
        }
    }

    private static WebDriver chromium() {
        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,800", "--hide-scrollbars");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File("/usr/bin/chromedriver")).usingAnyFreePort().build();
        ChromeDriver driver = new ChromeDriver(service, options);
        // the window's size includes what headless Chromium keeps for its frame: make the page itself 1280x800
        Number inner = (Number) driver.executeScript("return window.innerHeight");
        driver.manage().window().setSize(new Dimension(1280, 800 + 800 - inner.intValue()));
        return driver;
    }

    @Test
    void anOperatorSignsInCreatesWritesSnapshotsClonesAndRollsBackInABrowser() throws Exception {
        router = new Router(dir, "dash", "");
        String token = Files.readString(router.dataDir.resolve("admin.token")).strip();
        browser = chromium();
        WebDriverWait wait = new WebDriverWait(browser, WAIT);
        browser.get("http://127.0.0.1:" + router.apiPort + "/ui/");

        // a wrong token is refused, and the page stays at the sign-in form
        signIn("not-a-valid-token");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("login-error"), "not accepted"));
        assertOnlyRefusals(401);

        signIn(token);
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("readiness"), "Ready"));
        assertEquals("No alerts.", browser.findElement(By.id("alerts")).getText());
        assertEquals(token, ((JavascriptExecutor) browser).executeScript("return sessionStorage.getItem('scoria.token')"));
        assertFalse(browser.getCurrentUrl().contains(token), "the token is never in a URL");

        // a name the router refuses gives its reason; then a volume is created
        browser.findElement(By.cssSelector("nav a[data-page='volumes']")).click();
        createVolume("bad/name", "64MiB");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"), "Create volume:"));
        assertOnlyRefusals(400);
        createVolume("web1", "64MiB");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("volume-name"), "web1"));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("volume-size"), "64 MiB"));

        // writes over NBD move the write IOPS figure and chart
        router.qemuIo("web1", "write -P 0xab 0 1M");
        fio = ManagedProcess.start("fio", List.of("fio", "--name=dash", "--ioengine=nbd",
                "--uri=nbd://127.0.0.1:" + router.nbdPort + "/web1", "--rw=randwrite", "--bs=4k", "--offset=8m",
                "--size=32m", "--iodepth=4", "--time_based", "--runtime=12", "--rate_iops=400"), dir, dir.resolve("fio.log"));
        wait.until(d -> number(d.findElement(By.id("fig-write-iops")).getText()) > 50);
        Thread.sleep(7_000); // a few more points on the charts for the screenshot
        screenshot();
        assertTrue(fio.process().waitFor(60, TimeUnit.SECONDS), "fio finished: " + fio.logTail(10));
        assertEquals(0, fio.process().exitValue(), fio.logTail(20));

        // snapshot, overwrite, clone of the snapshot
        WebElement snapshotName = browser.findElement(By.id("snapshot-name"));
        snapshotName.clear();
        snapshotName.sendKeys("before");
        browser.findElement(By.cssSelector("#create-snapshot button[type='submit']")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(rollbackButton("before")));
        router.qemuIo("web1", "write -P 0xcd 0 1M");

        // a snapshot name is free text: it shows as typed and never becomes markup
        String markup = "<img src=x id=pwned>";
        snapshotName = browser.findElement(By.id("snapshot-name"));
        snapshotName.clear();
        snapshotName.sendKeys(markup);
        browser.findElement(By.cssSelector("#create-snapshot button[type='submit']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"), "Snapshot " + markup + " created."));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("snapshots"), markup));
        assertTrue(browser.findElements(By.id("pwned")).isEmpty(), "a name was inserted as HTML");

        WebElement cloneName = browser.findElement(By.id("clone-name"));
        cloneName.clear();
        cloneName.sendKeys("web1-clone");
        new Select(browser.findElement(By.id("clone-snapshot"))).selectByValue("before");
        browser.findElement(By.cssSelector("#create-clone button[type='submit']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"), "Clone web1-clone created."));
        router.qemuIo("web1-clone", "read -P 0xab 0 1M");

        // a rollback asks first: cancelled, nothing changes
        browser.findElement(rollbackButton("before")).click();
        WebElement dialog = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("confirm")));
        assertTrue(dialog.getText().contains("Roll back web1?"), dialog.getText());
        browser.findElement(By.id("confirm-cancel")).click();
        wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("confirm")));
        router.qemuIo("web1", "read -P 0xcd 0 1M");

        // confirmed: the volume reads as at the snapshot
        browser.findElement(rollbackButton("before")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("confirm")));
        browser.findElement(By.id("confirm-ok")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"), "Rolled web1 back to before."));
        router.qemuIo("web1", "read -P 0xab 0 1M");
        assertThrows(IllegalStateException.class, () -> router.qemuIo("web1", "read -P 0xcd 0 1M"));

        // three clones at once are a job, whose progress the jobs page shows
        cloneName = browser.findElement(By.id("clone-name"));
        cloneName.clear();
        cloneName.sendKeys("desk-");
        WebElement count = browser.findElement(By.id("clone-count"));
        count.clear();
        count.sendKeys("3");
        new Select(browser.findElement(By.id("clone-snapshot"))).selectByValue("before");
        browser.findElement(By.cssSelector("#create-clone button[type='submit']")).click();
        WebElement job = wait.until(ExpectedConditions.presenceOfElementLocated(By.xpath("//tr[td[text()='clone']]")));
        assertTrue(job.getText().contains("web1"), job.getText());
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.xpath("//tr[td[text()='clone']]"), "succeeded"));
        assertTrue(browser.findElement(By.xpath("//tr[td[text()='clone']]")).getText().contains("3 / 3"),
                browser.findElement(By.xpath("//tr[td[text()='clone']]")).getText());
        router.qemuIo("desk-3", "read -P 0xab 0 1M");

        // the list and the clone tree show the volume and its four clones
        browser.findElement(By.cssSelector("nav a[data-page='volumes']")).click();
        WebElement tree = wait.until(ExpectedConditions.presenceOfElementLocated(By.id("clone-tree")));
        for (String v : List.of("web1", "web1-clone", "desk-1", "desk-2", "desk-3")) {
            assertTrue(tree.getText().contains(v), v + " in " + tree.getText());
        }
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("table"), "desk-3"));

        List<LogEntry> errors = browserLog().stream().filter(e -> e.getLevel().intValue() >= Level.WARNING.intValue()).toList();
        assertTrue(errors.isEmpty(), "console warnings or errors: " + errors);
    }

    @Test
    void aDistributorStoreLostShowsAsAnAlertAndARepairStartedInTheBrowserRestoresIt() throws Exception {
        StringBuilder stores = new StringBuilder();
        for (int i = 1; i <= 3; i++) {
            stores.append(i > 1 ? ", " : "").append("{name: fs").append(i).append(", domain: d").append(i)
                    .append(", type: fs, fs: {root: ").append(dir.resolve("fs" + i)).append("}}");
        }
        router = new Router(dir, "dist", "backend: {type: distributor, distributor: {policy: 2+1, minFragments: 2, stores: ["
                + stores + "]}}\n");
        router.createVolume("dvol", "64MiB");
        router.qemuIo("dvol", "write -P 0x5a 0 3M", "flush");
        browser = chromium();
        WebDriverWait wait = new WebDriverWait(browser, WAIT);
        browser.get("http://127.0.0.1:" + router.apiPort + "/ui/");
        signIn(Files.readString(router.dataDir.resolve("admin.token")).strip());
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("readiness"), "Ready"));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("alerts"), "No alerts."));

        // a store comes back empty: the overview says so
        try (var files = Files.list(dir.resolve("fs3"))) {
            for (Path p : files.toList()) {
                deleteTree(p);
            }
        }
        browser.navigate().refresh();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("alerts"), "below full redundancy"));
        assertTrue(browser.findElement(By.id("alerts")).getText().contains("fs3 empty"),
                browser.findElement(By.id("alerts")).getText());

        // the distributor page shows the stores; a repair runs as a job and refills fs3
        browser.findElement(By.cssSelector("nav a[data-page='distributor']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("full-redundancy"), "no"));
        WebElement storeTable = browser.findElement(By.id("stores"));
        assertTrue(storeTable.getText().contains("fs1") && storeTable.getText().contains("EMPTY"), storeTable.getText());
        browser.findElement(By.id("start-repair")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.xpath("//tr[td[text()='repair']]"), "succeeded"));
        browser.findElement(By.cssSelector("nav a[data-page='distributor']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("full-redundancy"), "yes"));

        // resize, a snapshot deleted and the volume deleted, each asked for first where it destroys
        browser.get("http://127.0.0.1:" + router.apiPort + "/ui/#/volume/dvol");
        WebElement size = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("resize-size")));
        size.clear();
        size.sendKeys("128MiB");
        browser.findElement(By.cssSelector("#resize button[type='submit']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("volume-size"), "128 MiB"));
        WebElement snapshotName = browser.findElement(By.id("snapshot-name"));
        snapshotName.clear();
        snapshotName.sendKeys("s1");
        browser.findElement(By.cssSelector("#create-snapshot button[type='submit']")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("button[data-action='delete-snapshot'][data-snapshot='s1']")))
                .click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("confirm-ok"))).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"), "Deleted snapshot s1."));
        wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("button[data-snapshot='s1']"), 0));
        browser.findElement(By.id("delete-volume")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("confirm-ok"))).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"), "Deleted dvol."));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#view h1"), "Volumes"));
        assertEquals(404, router.get("/v1/volumes/dvol", true).statusCode());

        List<LogEntry> errors = browserLog().stream().filter(e -> e.getLevel().intValue() >= Level.WARNING.intValue()).toList();
        assertTrue(errors.isEmpty(), "console warnings or errors: " + errors);
    }

    private static void deleteTree(Path p) throws java.io.IOException {
        if (Files.isDirectory(p)) {
            try (var children = Files.list(p)) {
                for (Path c : children.toList()) {
                    deleteTree(c);
                }
            }
        }
        Files.delete(p);
    }

    private void signIn(String token) {
        WebElement input = new WebDriverWait(browser, WAIT).until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
        input.clear();
        input.sendKeys(token);
        browser.findElement(By.cssSelector("#login-form button[type='submit']")).click();
    }

    private void createVolume(String name, String size) {
        WebElement n = new WebDriverWait(browser, WAIT).until(ExpectedConditions.visibilityOfElementLocated(By.id("new-volume-name")));
        n.clear();
        n.sendKeys(name);
        WebElement s = browser.findElement(By.id("new-volume-size"));
        s.clear();
        s.sendKeys(size);
        browser.findElement(By.cssSelector("#create-volume button[type='submit']")).click();
    }

    private static By rollbackButton(String snapshot) {
        return By.cssSelector("button[data-action='rollback'][data-snapshot='" + snapshot + "']");
    }

    private List<LogEntry> browserLog() {
        return browser.manage().logs().get(LogType.BROWSER).getAll();
    }

    /** The console since the last look holds errors only for the HTTP {@code status} the test provoked. */
    private void assertOnlyRefusals(int status) {
        List<LogEntry> errors = browserLog().stream().filter(e -> e.getLevel().intValue() >= Level.WARNING.intValue()).toList();
        assertFalse(errors.isEmpty(), "the refused call shows in the console");
        for (LogEntry e : errors) {
            assertTrue(e.getMessage().contains("status of " + status), "unexpected console entry: " + e);
        }
    }

    private static double number(String text) {
        String digits = text.replace(",", "").strip();
        return digits.matches("[0-9.]+") ? Double.parseDouble(digits) : -1;
    }

    /**
     * Saves the screenshot to {@code integration-tests/target/dashboard.png}; with
     * {@code -Dscoria.dashboard.screenshot=docs} also to {@code docs/dashboard.png}, the README's
     * picture (so that a test run does not leave the work tree changed).
     */
    private void screenshot() throws Exception {
        File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Path target = router.repo.resolve("integration-tests").resolve("target").resolve("dashboard.png");
        Files.createDirectories(target.getParent());
        Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
        if ("docs".equals(System.getProperty("scoria.dashboard.screenshot"))) {
            Files.copy(shot.toPath(), router.repo.resolve("docs").resolve("dashboard.png"), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}

package dev.tracing.sample;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import dev.tracing.export.InMemorySpanStore;
import dev.tracing.test.TestSpans;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code traceview} page of the sample app in a real browser: headless Chromium driven by
 * Selenium, as a user would open it after {@code curl localhost:8080/api/chain}. Saves screenshots
 * of the list and of the chain's trace under {@code target/screenshots}. Needs Debian's
 * {@code chromium} and {@code chromium-driver} (CI installs them); without them these tests are
 * skipped, saying so in one line.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
class TraceViewBrowserTests {

    static final Path SCREENSHOTS = Path.of("target", "screenshots");

    static WebDriver browser;

    @LocalServerPort
    int port;

    @Autowired
    WebTestClient client;

    @Autowired
    InMemorySpanStore store;

    @Autowired
    TestSpans spans;

    @BeforeAll
    static void startChromium() {
        Path driver = firstExisting("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");
        Path chromium = firstExisting("/usr/bin/chromium", "/usr/lib/chromium/chromium");
        if (driver == null || chromium == null) {
            System.out.println("Skipping the traceview page's Chromium tests: no chromium and chromedriver here "
                    + "(Debian: apt-get install chromium chromium-driver)");
            Assumptions.abort("no chromium and chromedriver");
        }
        ChromeOptions options = new ChromeOptions().setBinary(chromium.toFile())
            .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                    "--window-size=1280,900", "--lang=en-US");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(driver.toFile())
            .usingAnyFreePort()
            .build();
        browser = new ChromeDriver(service, options);
        browser.manage().window().setSize(new Dimension(1280, 900));
    }

    @AfterAll
    static void stopChromium() {
        if (browser != null) {
            browser.quit();
        }
    }

    private static Path firstExisting(String... paths) {
        for (String path : paths) {
            if (Files.isExecutable(Path.of(path))) {
                return Path.of(path);
            }
        }
        return null;
    }

    @Test
    void afterAChainCallThePageListsItAndOneClickShowsItsNineSpansWithTheKafkaAndGrpcHops() throws Exception {
        store.clear();
        String traceId = (String) SampleRequests.getJson(client, "/api/chain").get("traceId");
        assertThat(spans.awaitTrace(traceId, 9)).hasSize(9);

        browser.get("http://127.0.0.1:" + port + "/actuator/traceview");
        awaitReady();
        WebElement row = browser.findElement(By.cssSelector("tr.trace[data-trace-id='" + traceId + "']"));
        assertThat(row.findElement(By.cssSelector(".name")).getText()).isEqualTo("GET /api/chain");
        assertThat(row.findElement(By.cssSelector(".spans")).getText()).isEqualTo("9");
        screenshot("traceview-list.png");

        row.findElement(By.cssSelector("a.open")).click();
        awaitReady();
        assertThat(browser.getCurrentUrl()).endsWith("/actuator/traceview?trace=" + traceId);
        List<WebElement> spans = browser.findElements(By.cssSelector(".span-row"));
        assertThat(spans).hasSize(9);
        assertThat(spans.get(0).getDomAttribute("data-kind")).isEqualTo("SERVER");
        assertThat(spans.get(0).findElement(By.cssSelector(".span-name")).getText()).isEqualTo("GET /api/chain");
        assertThat(spans).extracting(span -> span.getDomAttribute("data-kind"))
            .containsOnlyOnce("PRODUCER", "CONSUMER");
        WebElement producer = spans.stream()
            .filter(span -> "PRODUCER".equals(span.getDomAttribute("data-kind")))
            .findFirst()
            .orElseThrow();
        WebElement consumer = spans.stream()
            .filter(span -> "CONSUMER".equals(span.getDomAttribute("data-kind")))
            .findFirst()
            .orElseThrow();
        assertThat(consumer.getDomAttribute("data-parent-id")).isEqualTo(producer.getDomAttribute("data-span-id"));
        assertThat(Integer.parseInt(consumer.getDomAttribute("data-depth")))
            .isEqualTo(Integer.parseInt(producer.getDomAttribute("data-depth")) + 1);
        screenshot("traceview-chain.png");

        consumer.click();
        WebElement details = browser.findElement(By.cssSelector(".details"));
        assertThat(details.getText()).contains("messaging.destination.name").contains("sample-events");
        WebElement fromProducer = details.findElement(By.cssSelector(".from-producer"));
        assertThat(fromProducer.getText()).contains("PRODUCER").contains("send sample-events");
        fromProducer.findElement(By.cssSelector(".goto")).click();
        new WebDriverWait(browser, Duration.ofSeconds(5)).until(driver -> producer
            .equals(driver.switchTo().activeElement()));
        screenshot("traceview-chain-details.png");
    }

    private void awaitReady() {
        new WebDriverWait(browser, Duration.ofSeconds(15)).until(driver -> {
            String state = driver.findElement(By.tagName("body")).getDomAttribute("data-state");
            assertThat(state).isNotEqualTo("error");
            return "ready".equals(state);
        });
    }

    private void screenshot(String name) throws IOException {
        Files.createDirectories(SCREENSHOTS);
        Files.write(SCREENSHOTS.resolve(name), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

}

package dev.tracing.instrument.http;

import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The default skip pattern is matched by hand: on every path it must give what the regular
 * expression gives.
 */
class SkipPatternTests {

    private static final List<String> BASES = List.of("/actuator", "/manage/", "/", "", "/a.b", "/x\\Ey", "//");

    /** Pieces that hit every branch of the default pattern, and characters `.` does not match. */
    private static final String[] PIECES = { "/", ".", "a", "x", "2", "/actuator", "/actuatorx", "/manage", "/a.b",
            "/x\\Ey", "/favicon.ico", "favicon", ".css", ".js", ".jpg", ".jpeg", ".jpe", ".woff", ".woff2", ".ico",
            ".CSS", "css", "\n", "\r", "\u0085", "\u2028", "\u2029", "é", "%2e" };

    @Test
    void theDefaultPatternMatchedByHandAgreesWithTheRegularExpressionOnEveryPath() {
        Random random = new Random(20261121);
        for (String base : BASES) {
            String regex = HttpSpanPolicy.defaultSkipPattern(base);
            SkipPattern byHand = SkipPattern.compile(regex);
            Pattern pattern = Pattern.compile(regex);
            for (int i = 0; i < 50_000; i++) {
                StringBuilder path = new StringBuilder();
                int pieces = random.nextInt(6);
                for (int p = 0; p < pieces; p++) {
                    path.append(PIECES[random.nextInt(PIECES.length)]);
                }
                String candidate = path.toString();
                assertThat(byHand.matches(candidate)).as("base %s, path %s", base, candidate)
                    .isEqualTo(pattern.matcher(candidate).matches());
            }
        }
    }

    /** Beyond HttpSpanPolicyTests' cases: the spelled-out alternatives, case, and line terminators. */
    @Test
    void theDefaultByHandKeepsTheRegularExpressionsEdges() {
        SkipPattern skip = SkipPattern.compile(HttpSpanPolicy.defaultSkipPattern("/actuator"));

        assertThat(skip.matches("/static/app.woff2")).isTrue();
        assertThat(skip.matches("/img/logo.jpeg")).isTrue();
        assertThat(skip.matches("/api/report.pdf")).isFalse();
        assertThat(skip.matches("/api/style.CSS")).isFalse();
        assertThat(skip.matches("/actuator/\nx")).isFalse();
    }

    @Test
    void anyOtherPatternIsTheRegularExpression() {
        SkipPattern skip = SkipPattern.compile("/internal/.*|.*\\.css");

        assertThat(skip.matches("/internal/jobs")).isTrue();
        assertThat(skip.matches("/a.css")).isTrue();
        assertThat(skip.matches("/a.js")).isFalse();
        assertThat(skip.toString()).isEqualTo("/internal/.*|.*\\.css");
        assertThat(SkipPattern.compile("")).isNull();
        assertThat(SkipPattern.compile(null)).isNull();
    }

}

package dev.tracing.benchmarks.e2e;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The body of {@code GET /orders}: a page of 40 orders of 3 lines each, priced with
 * {@link BigDecimal}, each signed with a SHA-256 digest of its lines, about 20 KB of JSON. Work of
 * the kind a real endpoint does (objects, arithmetic, hashing, serialization), about a millisecond
 * on a 2-core VM, so the tracing overhead is seen against a realistic request.
 */
record Orders(long seed, int count, BigDecimal total, List<Order> orders) {

    private static final int ORDERS = 40;

    private static final int DIGEST_ROUNDS = 40;

    static Orders build(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Order> orders = new ArrayList<>(ORDERS);
        BigDecimal total = BigDecimal.ZERO;
        for (int i = 0; i < ORDERS; i++) {
            List<Line> lines = new ArrayList<>(3);
            BigDecimal sum = BigDecimal.ZERO;
            for (int j = 0; j < 3; j++) {
                BigDecimal price = BigDecimal.valueOf(random.nextInt(100, 100_000), 2);
                int quantity = random.nextInt(1, 10);
                BigDecimal amount = price.multiply(BigDecimal.valueOf(quantity)).setScale(2, RoundingMode.HALF_UP);
                lines.add(new Line("SKU-" + random.nextInt(1_000_000), "Item number " + random.nextInt(10_000)
                        + " of the catalogue, size " + random.nextInt(36, 48), quantity, price, amount));
                sum = sum.add(amount);
            }
            BigDecimal tax = sum.multiply(new BigDecimal("0.20")).setScale(2, RoundingMode.HALF_UP);
            orders.add(new Order("order-" + Long.toHexString(random.nextLong()), "customer-" + random.nextInt(50_000),
                    Instant.ofEpochSecond(1_700_000_000L + random.nextInt(10_000_000)).toString(), lines, sum, tax,
                    sum.add(tax), digest(lines)));
            total = total.add(sum.add(tax));
        }
        return new Orders(seed, ORDERS, total, orders);
    }

    private static String digest(List<Line> lines) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] hash = lines.toString().getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < DIGEST_ROUNDS; i++) {
                hash = sha.digest(hash);
            }
            return HexFormat.of().formatHex(hash);
        }
        catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }

    record Order(String id, String customer, String placedAt, List<Line> lines, BigDecimal subtotal, BigDecimal tax,
            BigDecimal total, String signature) {
    }

    record Line(String sku, String description, int quantity, BigDecimal unitPrice, BigDecimal amount) {
    }

}

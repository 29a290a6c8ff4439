package dev.tracing.export;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The table of held traces' hashes, with hashes chosen for the slots they probe from. */
class HeldTraceHashesTests {

    /** A table of 16 slots (for 4 traces). */
    private final HeldTraceHashes table = new HeldTraceHashes(4);

    /** A hash that probes from {@code home}, told apart from others of that home by {@code tag}. */
    private static long hashAt(int home, int tag) {
        return ((long) home << 32) | tag;
    }

    /** Asserts that the table finds each hash held (no lock-free "absent"). */
    private void assertHeld(long... hashes) {
        for (long hash : hashes) {
            assertThat(table.surelyAbsent(hash)).as("held %x", hash).isFalse();
        }
    }

    private void assertAbsent(long... hashes) {
        for (long hash : hashes) {
            assertThat(table.surelyAbsent(hash)).as("absent %x", hash).isTrue();
        }
    }

    /** Adds each hash, in order, in one write. */
    private void hold(long... hashes) {
        write(() -> {
            for (long hash : hashes) {
                table.add(hash);
            }
        });
    }

    private void write(Runnable change) {
        table.beginWrite();
        change.run();
        table.endWrite();
    }

    @Test
    void aHashAddedIsHeldAndAnotherIsSurelyAbsent() {
        hold(hashAt(3, 1));

        assertThat(table.capacity()).isEqualTo(16);
        assertHeld(hashAt(3, 1));
        assertAbsent(hashAt(3, 2), hashAt(4, 1));
    }

    @Test
    void removingFromARunThatWrapsPastTheEndKeepsTheRestFound() {
        // homes 14, 15, 14, 15: the run fills 14, 15, 0, 1
        long a = hashAt(14, 1);
        long b = hashAt(15, 2);
        long c = hashAt(14, 3);
        long d = hashAt(15, 4);
        hold(a, b, c, d);
        // a hash whose home is the slot the run wrapped into
        long e = hashAt(0, 5);
        hold(e);

        write(() -> table.remove(a));

        assertAbsent(a);
        assertHeld(b, c, d, e);
        write(() -> table.remove(b));
        write(() -> table.remove(e));
        assertHeld(c, d);
        assertAbsent(a, b, e);
    }

    @Test
    void anEntryPastTheEndAtItsOwnHomeStaysWhenTheLastSlotEmpties() {
        long last = hashAt(15, 1);
        long first = hashAt(0, 2);
        long wrapped = hashAt(15, 3);
        // wrapped runs on from 15 past 0 into 1
        hold(last, first, wrapped);

        write(() -> table.remove(last));

        // first is at its home; only wrapped may fill slot 15
        assertHeld(first, wrapped);
        assertAbsent(last);
    }

    @Test
    void aHashHeldTwiceStaysHeldUntilBothCopiesAreRemoved() {
        long shared = hashAt(7, 9);
        hold(shared, shared);

        write(() -> table.remove(shared));
        assertHeld(shared);
        write(() -> table.remove(shared));
        assertAbsent(shared);
    }

    @Test
    void noAnswerDuringAWriteOrPastTheProbeLimit() {
        long absent = hashAt(2, 1);
        table.beginWrite();
        assertThat(table.surelyAbsent(absent)).isFalse();
        table.endWrite();
        assertThat(table.surelyAbsent(absent)).isTrue();

        HeldTraceHashes large = new HeldTraceHashes(64);
        large.beginWrite();
        for (int i = 0; i < Math.min(HeldTraceHashes.MAX_PROBE, 32); i++) {
            // ids made to share one home
            large.add(hashAt(5, i + 1));
        }
        large.endWrite();
        assertThat(large.surelyAbsent(hashAt(5, 100))).isFalse();
        assertThat(large.surelyAbsent(hashAt(100, 1))).isTrue();
    }

    @Test
    void clearForgetsEveryHash() {
        hold(hashAt(1, 1), hashAt(1, 2));

        write(table::clear);

        assertAbsent(hashAt(1, 1), hashAt(1, 2));
    }

}

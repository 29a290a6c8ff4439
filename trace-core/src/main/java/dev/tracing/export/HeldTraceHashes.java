package dev.tracing.export;

import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * The 64-bit hashes of the trace ids an {@link InMemorySpanStore} holds, so that a span can be
 * told, without the store's lock, that its trace is not held.
 *
 * <p>Design notes: open addressing with linear probing in a table at least twice the traces it
 * may hold (a trace holds a span at least, so the store's span bound sizes it), and backward-shift
 * deletion, so no tombstones pile up as traces come and go. A hash may be in it more than once
 * (held ids that share all 64 bits): each trace adds and removes one copy. One writer at a time (the
 * holder of the store's lock) brackets each change in {@link #beginWrite()} and {@link #endWrite()},
 * which make a version odd and even again, as a sequence lock does; {@link #surelyAbsent} reads
 * without a lock and answers true only from a read that no write overlapped. A reader gives up
 * after {@link #MAX_PROBE} slots: ids are chosen by callers, and ids made to share a slot must not
 * make every span probe a long run (the store then takes its lock, as without the table).
 */
final class HeldTraceHashes {

    /** Slots a reader looks at most before leaving the question to the lock. */
    static final int MAX_PROBE = 16;

    private final long[] slots;

    private final int mask;

    /** Odd while a write is under way. */
    private volatile int version;

    /** A table for at most {@code maxTraces} held traces. */
    HeldTraceHashes(int maxTraces) {
        this.slots = new long[Integer.highestOneBit(maxTraces) << 2];
        this.mask = slots.length - 1;
    }

    /** Returns the number of slots, for tests. */
    int capacity() {
        return slots.length;
    }

    /**
     * Whether a read that no write overlapped found {@code hash} (never 0) not held; false when it
     * found it, met a write or gave up probing.
     */
    boolean surelyAbsent(long hash) {
        int before = version;
        if ((before & 1) != 0) {
            return false;
        }
        boolean absent = false;
        for (int i = home(hash), probes = 0; probes < MAX_PROBE; i = (i + 1) & mask, probes++) {
            long slot = slots[i];
            if (slot == hash) {
                return false;
            }
            if (slot == 0L) {
                absent = true;
                break;
            }
        }
        // the slots are read before the version is read again, as StampedLock.validate orders them
        VarHandle.acquireFence();
        return absent && version == before;
    }

    /** Opens a write; the caller holds the store's lock. */
    void beginWrite() {
        version++;
        // a reader that sees any slot written after this reads another version than it began with
        VarHandle.storeStoreFence();
    }

    /** Closes a write. */
    void endWrite() {
        version++;
    }

    /** Adds one copy of {@code hash} (never 0), inside a write. */
    void add(long hash) {
        int i = home(hash);
        while (slots[i] != 0L) {
            i = (i + 1) & mask;
        }
        slots[i] = hash;
    }

    /**
     * Removes one copy of {@code hash}, inside a write, moving back each entry after it that
     * probed past its slot.
     */
    void remove(long hash) {
        int gap = home(hash);
        while (slots[gap] != hash) {
            if (slots[gap] == 0L) {
                return;
            }
            gap = (gap + 1) & mask;
        }
        for (int i = (gap + 1) & mask; slots[i] != 0L; i = (i + 1) & mask) {
            int home = home(slots[i]);
            // the entry at i stays unless its home lies cyclically in (gap, i]
            boolean stays = gap <= i ? gap < home && home <= i : gap < home || home <= i;
            if (!stays) {
                slots[gap] = slots[i];
                gap = i;
            }
        }
        slots[gap] = 0L;
    }

    /** Removes every hash, inside a write. */
    void clear() {
        Arrays.fill(slots, 0L);
    }

    /** The slot a hash probes from: its high bits, since the store's table of refused ids uses the low ones. */
    int home(long hash) {
        return (int) (hash >>> 32) & mask;
    }

}

package io.wsgate.reliability;

import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32;

/**
 * The soak's binary messages and their check. A message is {@code session id (8) | sequence (4) | payload length
 * (4) | payload | CRC-32 of all before (8)}: a reply that comes back to the wrong session, out of order, twice, not
 * at all or with a flipped bit is counted as such. Binary, because the echo uppercases text.
 */
final class SequencedMessages {

    static final int HEADER = 16;

    static final int TRAILER = 8;

    private SequencedMessages() {}

    /** Message {@code sequence} of {@code session} with a random payload of up to {@code maxPayload} bytes. */
    static byte[] message(long session, int sequence, int maxPayload) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        byte[] payload = new byte[random.nextInt(maxPayload + 1)];
        random.nextBytes(payload);
        ByteBuffer message = ByteBuffer.allocate(HEADER + payload.length + TRAILER);
        message.putLong(session).putInt(sequence).putInt(payload.length).put(payload);
        message.putLong(crc(message.array(), message.position()));
        return message.array();
    }

    private static long crc(byte[] bytes, int length) {
        CRC32 crc = new CRC32();
        crc.update(bytes, 0, length);
        return crc.getValue();
    }

    /** Checks the replies of one session, in arrival order. */
    static final class Check {

        private final long session;

        private final BitSet seen = new BitSet();

        private int next;

        private int received;

        private int duplicated;

        private int reordered;

        private int corrupted;

        Check(long session) {
            this.session = session;
        }

        /** Records one reply; returns how many distinct sequence numbers have arrived intact. */
        synchronized int accept(byte[] reply) {
            this.received++;
            ByteBuffer buffer = ByteBuffer.wrap(reply);
            if (reply.length < HEADER + TRAILER) {
                this.corrupted++;
                return this.seen.cardinality();
            }
            long sessionId = buffer.getLong();
            int sequence = buffer.getInt();
            int length = buffer.getInt();
            if (length != reply.length - HEADER - TRAILER
                    || sessionId != this.session
                    || sequence < 0
                    || ByteBuffer.wrap(reply, reply.length - TRAILER, TRAILER).getLong()
                            != crc(reply, reply.length - TRAILER)) {
                this.corrupted++;
            } else if (this.seen.get(sequence)) {
                this.duplicated++;
            } else {
                if (sequence != this.next) {
                    this.reordered++;
                }
                this.seen.set(sequence);
                this.next = sequence + 1;
            }
            return this.seen.cardinality();
        }

        /** The tally once {@code sent} messages went out. */
        synchronized Tally tally(int sent) {
            return new Tally(
                    1,
                    sent,
                    this.received,
                    sent - this.seen.cardinality(),
                    this.duplicated,
                    this.reordered,
                    this.corrupted);
        }
    }

    /** Counts over one or many sessions. */
    record Tally(long sessions, long sent, long received, long lost, long duplicated, long reordered, long corrupted) {

        static final Tally NONE = new Tally(0, 0, 0, 0, 0, 0, 0);

        Tally plus(Tally other) {
            return new Tally(
                    this.sessions + other.sessions,
                    this.sent + other.sent,
                    this.received + other.received,
                    this.lost + other.lost,
                    this.duplicated + other.duplicated,
                    this.reordered + other.reordered,
                    this.corrupted + other.corrupted);
        }
    }
}

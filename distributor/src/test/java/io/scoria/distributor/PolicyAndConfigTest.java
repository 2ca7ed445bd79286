package io.scoria.distributor;

import io.scoria.backend.testing.InMemoryObjectStore;
import io.scoria.distributor.stripe.StripeLayout;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PolicyAndConfigTest {

    private static void refused(String word, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(word), e.getMessage());
    }

    @Test
    void policiesAreValidatedByArgumentName() {
        assertEquals(Policy.of(4, 6), Policy.parse(" 4+2 "));
        assertEquals(3, Policy.parse("4+2").manifestReplicas());
        refused("dataFragments", () -> Policy.of(0, 2));
        refused("totalFragments", () -> Policy.of(4, 4));
        refused("totalFragments", () -> Policy.of(20, 33));
        refused("megaBlockSize", () -> Policy.of(4, 6).withMegaBlockSize(5000));
        refused("minFragments", () -> Policy.of(4, 6).withMinFragments(3));
        refused("policy", () -> Policy.parse("4-2"));
        refused("policy", () -> Policy.parse("x+2"));
    }

    @Test
    void configsAreValidatedByArgumentName() {
        List<FragmentStore> five = List.of(FragmentStore.of("a", new InMemoryObjectStore()),
                FragmentStore.of("b", new InMemoryObjectStore()), FragmentStore.of("c", new InMemoryObjectStore()),
                FragmentStore.of("d", new InMemoryObjectStore()), FragmentStore.of("e", new InMemoryObjectStore()));
        refused("needs at least 6 stores", () -> DistributorConfig.of(five, Policy.of(4, 6)));
        List<FragmentStore> twice = List.of(FragmentStore.of("a", new InMemoryObjectStore()),
                FragmentStore.of("a", new InMemoryObjectStore()), FragmentStore.of("c", new InMemoryObjectStore()));
        refused("used twice", () -> DistributorConfig.of(twice, Policy.of(2, 3)));
        refused("name", () -> FragmentStore.of("bad name", new InMemoryObjectStore()));
        refused("hedgeDelay", () -> DistributorConfig.of(five, Policy.of(2, 3)).withHedgeDelay(java.time.Duration.ZERO));
    }

    @Test
    void layoutPadsOnlyTheLastStripeAndFramesEvery4KiB() {
        StripeLayout l = new StripeLayout(4L * (1 << 20) + 17, 4, 1 << 20);
        assertEquals(2, l.stripes());
        assertEquals(1 << 20, l.blockSize(0));
        assertEquals(64, l.blockSize(1), "17 bytes over 4 blocks round up to 64");
        assertEquals((1 << 20) + 64, l.fragmentLength());
        assertEquals(l.fragmentLength() + 4 * (256 + 1), l.storedLength());
        StripeLayout one = new StripeLayout(1, 4, 1 << 20);
        assertEquals(64, one.fragmentLength(), "a 1-byte object stays small");
        assertEquals(0, new StripeLayout(0, 4, 1 << 20).stripes());
    }
}

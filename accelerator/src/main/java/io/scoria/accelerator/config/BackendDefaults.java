package io.scoria.accelerator.config;

import io.scoria.distributor.config.BackendConfig;

/**
 * The SCO size and SCOs per TLog that volumes get on a backend type unless the config says
 * otherwise. On an object store every SCO, TLog and manifest is a billed PUT, so they are
 * chosen for requests per GiB written (README, "Object-store economics"):
 * <ul>
 * <li>{@code fs}: 4 MiB SCOs, 16 per TLog. A PUT is a local file write; small SCOs keep the
 *     flash reserved per open volume, the FOC backlog and the time until data is on the backend
 *     small.</li>
 * <li>{@code s3}, {@code swift}: 32 MiB SCOs, 16 per TLog (512 MiB): 32 SCO PUTs + 2 TLog PUTs +
 *     2 manifest PUTs = 36 PUTs per GiB written.</li>
 * <li>{@code distributor} with any S3 or Swift store: 256 MiB SCOs (the largest a 16-bit cluster
 *     offset allows at 4 KiB clusters), 4 per TLog (1 GiB). A 4+2 object costs 6 fragment PUTs
 *     and 3 manifest replica PUTs whatever its size, so a GiB costs 4 x 9 + 9 (TLog) + 9 (volume
 *     manifest) = 54 PUTs. Over fs stores only: the fs defaults.</li>
 * </ul>
 */
public record BackendDefaults(String scoSize, int scosPerTlog) {
    public static final BackendDefaults FS = new BackendDefaults("4MiB", 16);
    public static final BackendDefaults OBJECT_STORE = new BackendDefaults("32MiB", 16);
    public static final BackendDefaults DISTRIBUTOR_OVER_OBJECT_STORES = new BackendDefaults("256MiB", 4);

    /** The defaults for {@code backend}. */
    public static BackendDefaults of(BackendConfig backend) {
        return switch (backend.type()) {
            case "s3", "swift" -> OBJECT_STORE;
            case "distributor" -> backend.distributor().stores().stream().anyMatch(s -> !s.type().equals("fs"))
                    ? DISTRIBUTOR_OVER_OBJECT_STORES : FS;
            default -> FS;
        };
    }
}

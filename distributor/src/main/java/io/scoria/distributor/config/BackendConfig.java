package io.scoria.distributor.config;

import io.scoria.backend.ObjectStore;
import io.scoria.backend.config.ConfigException;
import io.scoria.backend.config.ConfigReader;
import io.scoria.backend.config.Secret;
import io.scoria.backend.fs.FsObjectStore;
import io.scoria.backend.fs.FsStoreConfig;
import io.scoria.backend.metering.CountingObjectStore;
import io.scoria.backend.prefix.PrefixedNamespaceStore;
import io.scoria.backend.metering.RequestLedger;
import io.scoria.backend.s3.S3ObjectStore;
import io.scoria.backend.s3.S3StoreConfig;
import io.scoria.backend.swift.SwiftObjectStore;
import io.scoria.backend.swift.SwiftStoreConfig;
import io.scoria.backend.transform.TransformConfig;
import io.scoria.distributor.store.Distributor;
import io.scoria.distributor.DistributorConfig;
import io.scoria.distributor.FragmentStore;
import io.scoria.distributor.Policy;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which backend a program talks to, as written in the {@code backend:} section of a YAML
 * config and read by {@link ConfigReader} (unknown keys refused, relative paths resolved against
 * the config file's directory, secrets inline or from {@code {file: PATH}} / {@code {env: NAME}}).
 * Shared by {@code scoria serve}, {@code scoria backend check} and {@code scoria-scrub}, so that
 * every program reads the same file. Immutable; validated on construction with
 * {@link ConfigException}s naming the key, which the reader places under its full path
 * ({@code backend.s3.endpoint}). Credentials are {@link Secret}s: no {@code toString} prints them.
 *
 * <pre>
 * backend:
 *   type: fs | s3 | swift | distributor
 *   fs:    { root: ./scoria-data/backend }
 *   s3:    { endpoint: http://127.0.0.1:9000, region: us-east-1, pathStyle: true,
 *            accessKey: {env: S3_ACCESS_KEY}, secretKey: {file: s3.secret},
 *            legacyChecksums: false, conditionalPut: false }
 *   swift: { authUrl: http://127.0.0.1:8080/auth/v1.0, auth: tempauth | keystone,
 *            user: test:tester, key: {file: swift.key}, project: ..., domain: ..., region: ... }
 *   distributor:
 *     policy: 4+2            # data+parity
 *     minFragments: 6        # fragments a write must store (default: all)
 *     stores:                # each one a backend of type fs, s3 or swift, plus a name
 *       - { name: a, domain: node1, type: fs, fs: { root: /srv/a } }
 *   transform:               # optional: compression and encryption at rest ({@link TransformConfig})
 *     compression: lz4       # default policy of new volumes
 *     encryption: aes-256-gcm
 *     keyEncryptionKey: {file: scoria.kek}
 * </pre>
 */
public record BackendConfig(String type, Fs fs, S3 s3, Swift swift, Dist distributor, TransformConfig transform) {
    static final Set<String> TYPES = Set.of("fs", "s3", "swift", "distributor");

    public BackendConfig {
        type = type == null ? "fs" : type.toLowerCase(Locale.ROOT);
        check(TYPES.contains(type), "type", "must be one of fs, s3, swift, distributor: " + type);
        check(!type.equals("fs") || fs != null, "fs", "is required when type is fs");
        check(!type.equals("s3") || s3 != null, "s3", "is required when type is s3");
        check(!type.equals("swift") || swift != null, "swift", "is required when type is swift");
        check(!type.equals("distributor") || distributor != null, "distributor",
                "is required when type is distributor");
    }

    /** A backend without transforms. */
    public BackendConfig(String type, Fs fs, S3 s3, Swift swift, Dist distributor) {
        this(type, fs, s3, swift, distributor, null);
    }

    /** A local directory backend. */
    public static BackendConfig fs(Path root) {
        return new BackendConfig("fs", new Fs(root), null, null, null);
    }

    /** {@code backend.fs}; a relative {@code root} read from a file is already resolved by the reader. */
    public record Fs(Path root) {
        public Fs {
            check(root != null, "root", "is required");
        }
    }

    /** {@code backend.s3} */
    /**
     * {@code backend.s3}; {@code bucket} (optional) keeps every volume under a prefix of that one
     * bucket instead of a bucket per volume ({@link PrefixedNamespaceStore}).
     */
    public record S3(String endpoint, String region, Boolean pathStyle, Secret accessKey, Secret secretKey,
                     Boolean legacyChecksums, Boolean conditionalPut, String bucket) {
        public S3 {
            checkBucket(bucket, "bucket");
            region = region == null ? S3StoreConfig.DEFAULT_REGION : region;
            pathStyle = pathStyle == null || pathStyle;
            legacyChecksums = legacyChecksums != null && legacyChecksums;
            conditionalPut = conditionalPut != null && conditionalPut;
            check((accessKey == null) == (secretKey == null), "secretKey", "accessKey and secretKey go together");
            if (endpoint != null) {
                URI uri = parseUri(endpoint, "endpoint");
                check(uri.getScheme() != null && uri.getHost() != null, "endpoint",
                        "must be an absolute http(s) URL: " + endpoint);
            }
        }

        S3StoreConfig toStoreConfig() {
            String access = Secret.reveal(accessKey);
            String secret = Secret.reveal(secretKey);
            S3StoreConfig base = S3StoreConfig.of(endpoint == null ? null : URI.create(endpoint), access, secret);
            return new S3StoreConfig(base.endpoint(), region, pathStyle, access, secret, base.multipartThreshold(),
                    base.partSize(), base.maxAttempts(), base.requestTimeout(), legacyChecksums, conditionalPut);
        }
    }

    /** {@code backend.swift} */
    /** {@code backend.swift}; {@code container} (optional): every volume under a prefix of that one container. */
    public record Swift(String authUrl, String auth, String user, Secret key, String project, String domain,
                        String region, String container) {
        public Swift {
            checkBucket(container, "container");
            auth = auth == null ? "tempauth" : auth.toLowerCase(Locale.ROOT);
            check(auth.equals("tempauth") || auth.equals("keystone"), "auth", "must be tempauth or keystone: " + auth);
            check(authUrl != null, "authUrl", "is required");
            parseUri(authUrl, "authUrl");
            check(user != null, "user", "is required");
            check(key != null, "key", "is required");
            storeConfig(authUrl, auth, user, key, project, domain, region);
        }

        SwiftStoreConfig toStoreConfig() {
            return storeConfig(authUrl, auth, user, key, project, domain, region);
        }

        private static SwiftStoreConfig storeConfig(String authUrl, String auth, String user, Secret key, String project,
                                                    String domain, String region) {
            try {
                return auth.equals("tempauth")
                        ? SwiftStoreConfig.tempAuth(URI.create(authUrl), user, key.reveal())
                        : SwiftStoreConfig.keystone(URI.create(authUrl), user, key.reveal(), project, domain, region);
            } catch (IllegalArgumentException e) {
                throw new ConfigException("", e.getMessage());
            }
        }
    }

    /**
     * One store of {@code backend.distributor.stores}; {@code drain: true} drains it (nothing new is placed
     * on it and {@code scoria distributor rebalance} moves everything off it, after which it can be removed).
     */
    public record Store(String name, String domain, String type, Fs fs, S3 s3, Swift swift, Boolean drain) {
        public Store {
            check(name != null && !name.isBlank(), "name", "is required");
            type = type == null ? "fs" : type.toLowerCase(Locale.ROOT);
            check(!type.equals("distributor") && TYPES.contains(type), "type", "must be fs, s3 or swift: " + type);
            new BackendConfig(type, fs, s3, swift, null);
        }
    }

    /** {@code backend.distributor} */
    public record Dist(String policy, Integer minFragments, List<Store> stores) {
        public Dist {
            policy = policy == null ? "4+2" : policy;
            check(stores != null && !stores.isEmpty(), "stores", "must list at least one store");
            stores = List.copyOf(stores);
            Set<String> names = new HashSet<>();
            for (Store s : stores) {
                check(names.add(s.name()), "stores", "name '" + s.name() + "' is used twice");
            }
            Policy p = parsePolicy(policy, minFragments);
            check(stores.size() >= p.totalFragments(), "stores",
                    "policy " + policy + " needs at least " + p.totalFragments() + " stores, " + stores.size() + " given");
            long kept = stores.stream().filter(s -> !Boolean.TRUE.equals(s.drain())).count();
            check(kept >= p.totalFragments(), "stores", "policy " + policy + " needs at least " + p.totalFragments()
                    + " stores that are not being drained, " + kept + " are left: add a store before draining one");
        }

        public Policy parsedPolicy() {
            return parsePolicy(policy, minFragments);
        }

        private static Policy parsePolicy(String policy, Integer minFragments) {
            try {
                Policy p = Policy.parse(policy);
                return minFragments == null ? p : p.withMinFragments(minFragments);
            } catch (IllegalArgumentException e) {
                throw new ConfigException("policy", e.getMessage());
            }
        }
    }

    /**
     * Opens the configured store, wrapped in a {@link CountingObjectStore} labelled with the
     * type ({@code fs}, {@code s3}, {@code swift}, {@code distributor}); under a distributor each
     * of its stores is wrapped too, labelled {@code distributor/<name>}, so that a request is
     * counted once on the distributor and once more on every store it reaches. All of them count
     * into one new {@link RequestLedger} ({@link CountingObjectStore#ledger()}). Relative fs roots
     * were resolved by the reader against the config file's directory; one given in code (or by
     * the embedded default) resolves against the working directory. With a {@code transform}
     * section the counted store is wrapped in the transform (compression, encryption), so that
     * what is counted is what the backend receives. The caller owns the returned store and closes it.
     */
    public ObjectStore open() {
        CountingObjectStore store = openUntransformed();
        if (transform == null) {
            return store;
        }
        try {
            return transform.open(store);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /**
     * Opens the configured store without the {@code transform} section: the objects as stored
     * (encrypted ones stay sealed), counted as {@link #open} says. The caller owns and closes it.
     */
    public CountingObjectStore openUntransformed() {
        RequestLedger ledger = new RequestLedger();
        return new CountingObjectStore(type.equals("distributor") ? openDistributor(ledger) : openPlain(), type, ledger);
    }

    private ObjectStore openPlain() {
        return switch (type) {
            case "fs" -> new FsObjectStore(new FsStoreConfig(fs.root()));
            case "s3" -> shared(new S3ObjectStore(s3.toStoreConfig()), s3.bucket());
            case "swift" -> shared(new SwiftObjectStore(swift.toStoreConfig()), swift.container());
            default -> throw new IllegalStateException("not a single store: " + type);
        };
    }

    private static ObjectStore shared(ObjectStore store, String bucket) {
        if (bucket == null) {
            return store;
        }
        try {
            return new PrefixedNamespaceStore(store, bucket);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    private static void checkBucket(String bucket, String key) {
        if (bucket != null) {
            try {
                io.scoria.backend.Names.checkNamespace(bucket);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(key, e.getMessage());
            }
        }
    }

    private ObjectStore openDistributor(RequestLedger ledger) {
        List<FragmentStore> opened = new ArrayList<>();
        try {
            for (Store s : distributor.stores()) {
                ObjectStore store = new CountingObjectStore(new BackendConfig(s.type(), s.fs(), s.s3(), s.swift(), null)
                        .openPlain(), "distributor/" + s.name(), ledger);
                opened.add(new FragmentStore(s.name(), s.domain() == null ? s.name() : s.domain(), store));
            }
            Set<String> draining = new HashSet<>();
            distributor.stores().stream().filter(s -> Boolean.TRUE.equals(s.drain())).forEach(s -> draining.add(s.name()));
            return new Distributor(DistributorConfig.of(opened, distributor.parsedPolicy()).withDraining(draining));
        } catch (RuntimeException e) {
            opened.forEach(f -> f.store().close());
            throw e;
        }
    }

    /** A one-line description for logs: type and endpoint, never credentials. */
    public String describe() {
        String where = switch (type) {
            case "fs" -> "fs " + fs.root();
            case "s3" -> "s3 " + (s3.endpoint() == null ? "aws/" + s3.region() : s3.endpoint());
            case "swift" -> "swift " + swift.authUrl();
            default -> "distributor " + distributor.policy + " over " + distributor.stores().size() + " stores";
        };
        return transform == null ? where : where + ", new volumes " + transform.defaultPolicy();
    }

    private static URI parseUri(String text, String key) {
        try {
            return URI.create(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, "is not a valid URL: " + text);
        }
    }

    private static void check(boolean ok, String key, String message) {
        ConfigException.check(ok, key, message);
    }
}

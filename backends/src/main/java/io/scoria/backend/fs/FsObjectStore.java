package io.scoria.backend.fs;

import io.scoria.backend.AbstractObjectStore;
import io.scoria.backend.BackendException;
import io.scoria.backend.BackendUnavailableException;
import io.scoria.backend.Capabilities;
import io.scoria.backend.ObjectInfo;
import io.scoria.backend.ObjectPage;
import io.scoria.backend.PreconditionFailedException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Objects as files on a local (or mounted) file system: one directory per namespace, one file
 * per object, the key percent-encoded into a flat file name (so {@code a/b} never becomes a
 * sub-directory and no key can escape its namespace).
 *
 * <p>Durability: a put writes a temporary file, fsyncs it, renames it over the target and
 * fsyncs the directory, so a crash leaves the old object or the new one, never half of one.
 * Put-if-absent links the fsynced temporary file to the target name, which fails atomically if
 * the name exists. Temporary files left by a crash are removed when a store opens. Objects of
 * 64 KiB or more are written with {@code O_DIRECT} where the file system allows it
 * ({@link DirectWriter}): SCOs and TLogs are read back rarely, and page-cache pages for them
 * cost CPU and memory for nothing.
 *
 * <p>Listing reads the namespace directory and sorts it on each call: fine for the thousands
 * of objects of a volume, linear in the directory size. Thread-safe.
 */
public final class FsObjectStore extends AbstractObjectStore {
    private static final String TEMP_PREFIX = "~tmp~";
    private static final int MAX_FILE_NAME = 250;
    private static final Capabilities CAPABILITIES = new Capabilities(true, true, Long.MAX_VALUE, 200);
    private static final Duration STALE_TEMP_AGE = Duration.ofHours(1);

    private final Path root;
    private final String name;
    /** Writes large objects past the page cache; null where the file system rejects O_DIRECT. */
    private final DirectWriter direct;

    public FsObjectStore(FsStoreConfig config) {
        this.root = config.root();
        this.name = "fs(" + root + ")";
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new BackendUnavailableException(name + ": cannot create root directory: " + e, e);
        }
        if (!Files.isWritable(root)) {
            throw new BackendUnavailableException(name + ": root directory is not writable");
        }
        removeStaleTempFiles();
        direct = DirectWriter.probe(root, TEMP_PREFIX);
    }

    @Override
    public String name() {
        return name;
    }

    /** True when large objects are written with {@code O_DIRECT} (the root's file system accepts it). */
    boolean writesDirect() {
        return direct != null;
    }

    @Override
    public Capabilities capabilities() {
        return CAPABILITIES;
    }

    @Override
    protected boolean doCreateNamespace(String namespace) {
        Path dir = root.resolve(namespace);
        try {
            Files.createDirectory(dir);
            fsyncDirectory(root);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (IOException e) {
            throw io("create namespace '" + namespace + "'", e);
        }
    }

    @Override
    protected boolean doDeleteNamespace(String namespace) {
        Path dir = root.resolve(namespace);
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(f);
            }
            Files.delete(dir);
            fsyncDirectory(root);
            return true;
        } catch (NoSuchFileException e) {
            return false;
        } catch (DirectoryNotEmptyException e) {
            throw new BackendException(name + ": namespace '" + namespace + "' received new objects while being deleted");
        } catch (IOException e) {
            throw io("delete namespace '" + namespace + "'", e);
        }
    }

    @Override
    protected boolean doNamespaceExists(String namespace) {
        return Files.isDirectory(root.resolve(namespace));
    }

    @Override
    protected List<String> doListNamespaces() {
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw io("list namespaces", e);
        }
    }

    @Override
    protected void doPut(String namespace, String key, ByteBuffer data) {
        Path dir = namespaceDir(namespace);
        Path target = dir.resolve(fileName(key));
        Path temp = writeTemp(dir, key, data);
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            fsyncDirectory(dir);
        } catch (IOException e) {
            deleteQuietly(temp);
            throw io("publish " + namespace + "/" + key, e);
        }
    }

    @Override
    protected void doPutFile(String namespace, String key, Path file, long size) {
        Path dir = namespaceDir(namespace);
        Path target = dir.resolve(fileName(key));
        Path temp = dir.resolve(TEMP_PREFIX + UUID.randomUUID());
        try {
            try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
                if (direct != null && size >= DirectWriter.MIN_SIZE) {
                    direct.write(temp, in::read, size);
                } else {
                    copy(in, file, temp, size);
                }
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            fsyncDirectory(dir);
        } catch (IOException e) {
            deleteQuietly(temp);
            throw io("put " + namespace + "/" + key + " from " + file, e);
        }
    }

    @Override
    protected void doPutIfAbsent(String namespace, String key, ByteBuffer data) {
        Path dir = namespaceDir(namespace);
        Path target = dir.resolve(fileName(key));
        Path temp = writeTemp(dir, key, data);
        try {
            Files.createLink(target, temp);
            fsyncDirectory(dir);
        } catch (FileAlreadyExistsException e) {
            throw new PreconditionFailedException(name + ": object '" + key + "' already exists in '" + namespace + "'");
        } catch (IOException e) {
            throw io("put-if-absent " + namespace + "/" + key, e);
        } finally {
            deleteQuietly(temp);
        }
    }

    @Override
    protected ByteBuffer doGet(String namespace, String key) {
        Path file = objectFile(namespace, key);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("object " + namespace + "/" + key + " is " + size
                        + " bytes, too large for one buffer; use ranged reads");
            }
            ByteBuffer dst = ByteBuffer.allocate((int) size);
            readFully(ch, dst, 0);
            return dst.flip();
        } catch (NoSuchFileException e) {
            throw notFound(namespace, key);
        } catch (IOException e) {
            throw io("get " + namespace + "/" + key, e);
        }
    }

    @Override
    protected void doRead(String namespace, String key, long offset, ByteBuffer dst) {
        Path file = objectFile(namespace, key);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (offset + dst.remaining() > size) {
                throw pastEnd(namespace, key, offset, dst.remaining(), size);
            }
            readFully(ch, dst, offset);
        } catch (NoSuchFileException e) {
            throw notFound(namespace, key);
        } catch (IOException e) {
            throw io("read " + namespace + "/" + key, e);
        }
    }

    @Override
    protected ObjectInfo doStat(String namespace, String key) {
        Path file = objectFile(namespace, key);
        try {
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
            return new ObjectInfo(key, attrs.size(), attrs.lastModifiedTime().toInstant());
        } catch (NoSuchFileException e) {
            throw notFound(namespace, key);
        } catch (IOException e) {
            throw io("stat " + namespace + "/" + key, e);
        }
    }

    @Override
    protected void doDelete(String namespace, String key) {
        Path dir = namespaceDir(namespace);
        try {
            if (Files.deleteIfExists(dir.resolve(fileName(key)))) {
                fsyncDirectory(dir);
            }
        } catch (IOException e) {
            throw io("delete " + namespace + "/" + key, e);
        }
    }

    @Override
    protected ObjectPage doList(String namespace, String prefix, String startAfter, int limit) {
        Path dir = namespaceDir(namespace);
        TreeMap<String, Path> sorted = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.forEach(p -> {
                String file = p.getFileName().toString();
                if (file.startsWith(TEMP_PREFIX)) {
                    return;
                }
                String key = KeyCodec.decode(file);
                if (key.startsWith(prefix) && (startAfter == null || key.compareTo(startAfter) > 0)) {
                    sorted.put(key, p);
                }
            });
        } catch (NoSuchFileException e) {
            throw notFound(namespace, null);
        } catch (IOException e) {
            throw io("list " + namespace, e);
        }
        List<ObjectInfo> page = new ArrayList<>(Math.min(limit, sorted.size()));
        for (var e : sorted.entrySet()) {
            if (page.size() == limit) {
                return new ObjectPage(page, page.get(page.size() - 1).key());
            }
            try {
                BasicFileAttributes attrs = Files.readAttributes(e.getValue(), BasicFileAttributes.class);
                page.add(new ObjectInfo(e.getKey(), attrs.size(), attrs.lastModifiedTime().toInstant()));
            } catch (NoSuchFileException gone) {
                // deleted between listing and stat: not part of this page
            } catch (IOException ex) {
                throw io("list " + namespace, ex);
            }
        }
        return new ObjectPage(page, null);
    }

    @Override
    protected void doClose() {
        // no open resources between calls
    }

    private Path namespaceDir(String namespace) {
        Path dir = root.resolve(namespace);
        if (!Files.isDirectory(dir)) {
            throw notFound(namespace, null);
        }
        return dir;
    }

    private Path objectFile(String namespace, String key) {
        return namespaceDir(namespace).resolve(fileName(key));
    }

    private static String fileName(String key) {
        String encoded = KeyCodec.encode(key);
        if (encoded.length() > MAX_FILE_NAME) {
            throw new IllegalArgumentException("key '" + key + "' encodes to a file name of " + encoded.length()
                    + " bytes, more than " + MAX_FILE_NAME);
        }
        return encoded;
    }

    private static void copy(FileChannel in, Path file, Path temp, long size) throws IOException {
        try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long done = 0;
            while (done < size) {
                long n = in.transferTo(done, size - done, out);
                if (n <= 0) {
                    throw new IOException("source file " + file + " shrank while being stored");
                }
                done += n;
            }
            out.force(true);
        }
    }

    private Path writeTemp(Path dir, String key, ByteBuffer data) {
        Path temp = dir.resolve(TEMP_PREFIX + UUID.randomUUID());
        try {
            int size = data.remaining();
            if (direct != null && size >= DirectWriter.MIN_SIZE) {
                int base = data.position();
                direct.write(temp, (dst, pos) -> {
                    int n = (int) Math.min(dst.remaining(), size - pos);
                    dst.put(dst.position(), data, base + (int) pos, n).position(dst.position() + n);
                    return n;
                }, size);
                data.position(base + size);
                return temp;
            }
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                while (data.hasRemaining()) {
                    out.write(data);
                }
                out.force(true);
            }
            return temp;
        } catch (NoSuchFileException e) {
            throw notFound(dir.getFileName().toString(), null);
        } catch (IOException e) {
            deleteQuietly(temp);
            throw io("write " + dir.getFileName() + "/" + key, e);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long offset) throws IOException {
        long pos = offset;
        while (dst.hasRemaining()) {
            int n = ch.read(dst, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file at " + pos);
            }
            pos += n;
        }
    }

    private static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a leftover temp file is removed at the next open
        }
    }

    private void removeStaleTempFiles() {
        Instant cutoff = Instant.now().minus(STALE_TEMP_AGE);
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path dir : (Iterable<Path>) dirs.filter(Files::isDirectory)::iterator) {
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path f : (Iterable<Path>) files::iterator) {
                        if (f.getFileName().toString().startsWith(TEMP_PREFIX)
                                && Files.getLastModifiedTime(f).toInstant().isBefore(cutoff)) {
                            Files.deleteIfExists(f);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw io("clean temporary files", e);
        }
    }

    private BackendException io(String what, IOException e) {
        if (e instanceof AccessDeniedException) {
            return new BackendUnavailableException(name + ": permission denied to " + what + ": " + e.getMessage(), e);
        }
        return new BackendUnavailableException(name + ": cannot " + what + ": " + e, e);
    }
}

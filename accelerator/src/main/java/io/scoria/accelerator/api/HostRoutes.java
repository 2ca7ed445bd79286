package io.scoria.accelerator.api;

import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.control.Attachment;
import io.scoria.accelerator.control.CertificatePin;
import io.scoria.accelerator.control.Host;
import io.scoria.accelerator.control.HostException;
import io.scoria.accelerator.control.HostRegistry;
import io.scoria.accelerator.control.VolumeLifecycle;
import io.scoria.accelerator.volume.WipeReport;
import io.scoria.backend.config.Secret;

import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The {@code /v1/hosts} calls (add, list, show, remove hosts), the attachments of a volume
 * ({@code /v1/volumes/{name}/attachments[/{host}]}: list, attach, detach) and the wipe check of a
 * deleted volume ({@code /v1/volumes/{name}/wipe-check}). Attach and detach go through the
 * {@link VolumeLifecycle} (journalled, moving the volume's state). A token of one project sees and attaches
 * only its project's hosts (another's answers 404, as a missing one). Host views never carry a CHAP secret. With
 * no registry (or no wipe check) configured those calls answer 404. Thread-safe.
 */
final class HostRoutes {
    /** The volume sub-resources these routes answer. */
    static final Set<String> VOLUME_ACTIONS = Set.of("attachments", "wipe-check");

    private final VolumeService volumes;
    private final HostRegistry hosts;
    private final Function<String, WipeReport> wipeCheck;
    private final VolumeLifecycle lifecycle;
    /** Told after a detach (a reset-on-detach desktop gets a fresh write space); may be null. */
    private final io.scoria.accelerator.control.Pools pools;

    /**
     * {@code hosts} and {@code wipeCheck} may be null (not offered); {@code lifecycle} attaches and
     * detaches; {@code pools} (may be null) is told after a detach.
     */
    HostRoutes(VolumeService volumes, HostRegistry hosts, Function<String, WipeReport> wipeCheck,
               VolumeLifecycle lifecycle, io.scoria.accelerator.control.Pools pools) {
        this.lifecycle = lifecycle;
        this.pools = pools;
        this.volumes = volumes;
        this.hosts = hosts;
        this.wipeCheck = wipeCheck;
    }

    /** Answers {@code call}: {@code v1/hosts...}, or {@code v1/volumes/NAME/<one of VOLUME_ACTIONS>...}. */
    Reply route(ApiCall call) {
        try {
            if (call.at(1).equals("hosts")) {
                return host(call);
            }
            if (call.at(3).equals("wipe-check")) {
                if (call.path.length != 4 || !call.method.equals("GET")) {
                    throw call.methodNotAllowed();
                }
                if (wipeCheck == null) {
                    throw ProblemException.notFound("this router does not offer wipe checks");
                }
                return Reply.json(200, wipeCheck.apply(call.at(2)));
            }
            return attachments(call);
        } catch (HostException.NotFound e) {
            throw ProblemException.notFound(e.getMessage());
        } catch (HostException.Conflict e) {
            throw new ProblemException(409, "conflict", "Conflict", e.getMessage());
        }
    }

    /** Refuses (409) to delete a volume that is attached to hosts. */
    void checkDetached(String volume) {
        if (hosts != null && !hosts.attachments(volume).isEmpty()) {
            throw new ProblemException(409, "attached", "Conflict", "volume " + volume + " is attached to hosts "
                    + hosts.attachments(volume).stream().map(Attachment::host).toList() + "; detach it first");
        }
    }

    private HostRegistry registry() {
        if (hosts == null) {
            throw ProblemException.notFound("this router keeps no hosts");
        }
        return hosts;
    }

    private Reply host(ApiCall call) {
        HostRegistry r = registry();
        if (call.path.length == 2) {
            return switch (call.method) {
                case "GET" -> Reply.json(200, r.hosts().stream().filter(h -> call.caller.reaches(h.project()))
                        .map(this::view).toList());
                case "POST" -> {
                    ApiModel.AddHost req = call.body(ApiModel.AddHost.class);
                    Host h = host(req, call.projectFor(req.project()));
                    r.add(h);
                    yield Reply.json(201, view(h));
                }
                default -> throw call.methodNotAllowed();
            };
        }
        if (call.path.length != 3) {
            throw call.notFound();
        }
        String name = call.at(2);
        return switch (call.method) {
            case "GET" -> Reply.json(200, view(visible(call.caller, name)));
            case "DELETE" -> {
                r.remove(name);
                yield Reply.noContent();
            }
            default -> throw call.methodNotAllowed();
        };
    }

    private Reply attachments(ApiCall call) {
        HostRegistry r = registry();
        String volume = call.at(2);
        if (call.path.length == 4) {
            return switch (call.method) {
                case "GET" -> Reply.json(200, views(r.attachments(volume)));
                case "POST" -> {
                    ApiModel.Attach a = call.body(ApiModel.Attach.class);
                    if (volumes.info(volume).isEmpty()) {
                        throw new VolumeNotFoundException("no volume " + volume);
                    }
                    if (a.host() == null) {
                        throw ProblemException.badRequest("host is required");
                    }
                    visible(call.caller, a.host());
                    Attachment want = new Attachment(volume, a.host(), Attachment.readOnly(a.mode()),
                            Boolean.TRUE.equals(a.shared()));
                    boolean existed = r.attachments(volume).contains(want);
                    yield Reply.json(existed ? 200 : 201, view(lifecycle.attach(want)));
                }
                default -> throw call.methodNotAllowed();
            };
        }
        if (call.path.length == 5 && call.method.equals("DELETE")) {
            int closed = lifecycle.detach(volume, call.at(4));
            if (pools != null) {
                pools.detached(volume);
            }
            return Reply.json(200, new ApiModel.Detached(volume, call.at(4), closed));
        }
        throw call.path.length == 5 ? call.methodNotAllowed() : call.notFound();
    }

    /** Host {@code name} if {@code caller} reaches its project; else as if it did not exist. */
    private Host visible(TokenInfo caller, String name) {
        Host h = registry().host(name);
        if (!caller.reaches(h.project())) {
            throw new HostException.NotFound("no host " + name);
        }
        return h;
    }

    private static Host host(ApiModel.AddHost a, String project) {
        if (a.name() == null) {
            throw ProblemException.badRequest("name is required");
        }
        return new Host(a.name(), a.certificate() == null ? null : CertificatePin.parse(a.certificate()),
                a.certificateIdentity(), a.address(), a.iqn(), Secret.ofNullable(a.chapSecret()), project);
    }

    private ApiModel.HostView view(Host h) {
        return new ApiModel.HostView(h.name(), h.certificate() == null ? null : h.certificate().sha256(),
                h.certificate() == null ? null : h.certificate().subject(), h.certificateIdentity(), h.address(), h.iqn(),
                h.chapSecret() != null, hosts.attachments().stream().filter(a -> a.host().equals(h.name()))
                .map(Attachment::volume).toList(), h.project());
    }

    private static ApiModel.AttachmentView view(Attachment a) {
        return new ApiModel.AttachmentView(a.volume(), a.host(), a.mode(), a.shared());
    }

    private static List<ApiModel.AttachmentView> views(List<Attachment> as) {
        return as.stream().map(HostRoutes::view).toList();
    }
}

package io.scoria.accelerator.api;

import java.util.Objects;

/**
 * The {@code /v1/tokens} calls (admin role only): create, list and revoke bearer tokens. An admin token
 * of a project lists, makes and revokes only tokens of its project (another project's token answers 404,
 * as one that does not exist); only an admin token of every project makes tokens of other projects or of
 * every project ({@code "project": "*"}). Thread-safe.
 */
final class TokenRoutes {
    private final TokenStore tokens;

    TokenRoutes(TokenStore tokens) {
        this.tokens = Objects.requireNonNull(tokens, "tokens");
    }

    /** Answers {@code call}, whose path starts with {@code v1/tokens}. */
    Reply route(ApiCall call) {
        TokenInfo caller = call.caller;
        if (call.path.length == 2) {
            return switch (call.method) {
                case "GET" -> Reply.json(200, tokens.list().stream().filter(t -> caller.reaches(t.project())).toList());
                case "POST" -> {
                    ApiModel.CreateToken req = call.body(ApiModel.CreateToken.class);
                    Role role = Role.parse(VolumeRoutes.required(req.role(), "role"));
                    String project = call.projectFor(req.project());
                    IssuedToken issued = tokens.create(role, project);
                    yield Reply.json(201, new ApiModel.CreatedToken(issued.info().id(), role, issued.info().created(),
                            project, issued.token().value()));
                }
                default -> throw call.methodNotAllowed();
            };
        }
        if (call.path.length == 3 && call.method.equals("DELETE")) {
            String id = call.at(2);
            boolean visible = tokens.list().stream().anyMatch(t -> t.id().equals(id) && caller.reaches(t.project()));
            if (!visible || !tokens.revoke(id)) {
                throw ProblemException.notFound("no token " + id);
            }
            return Reply.noContent();
        }
        throw call.notFound();
    }
}

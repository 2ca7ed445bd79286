package io.scoria.accelerator.api;

import java.util.Objects;

/** The {@code /v1/tokens} calls (admin only): create, list and revoke bearer tokens. Thread-safe. */
final class TokenRoutes {
    private final TokenStore tokens;

    TokenRoutes(TokenStore tokens) {
        this.tokens = Objects.requireNonNull(tokens, "tokens");
    }

    /** Answers {@code call}, whose path starts with {@code v1/tokens}. */
    Reply route(ApiCall call) {
        if (call.path.length == 2) {
            return switch (call.method) {
                case "GET" -> Reply.json(200, tokens.list());
                case "POST" -> {
                    ApiModel.CreateToken req = call.body(ApiModel.CreateToken.class);
                    Role role = Role.parse(VolumeRoutes.required(req.role(), "role"));
                    IssuedToken issued = tokens.create(role);
                    yield Reply.json(201, new ApiModel.CreatedToken(issued.info().id(), role, issued.info().created(),
                            issued.token().value()));
                }
                default -> throw call.methodNotAllowed();
            };
        }
        if (call.path.length == 3 && call.method.equals("DELETE")) {
            if (!tokens.revoke(call.at(2))) {
                throw ProblemException.notFound("no token " + call.at(2));
            }
            return Reply.noContent();
        }
        throw call.notFound();
    }
}

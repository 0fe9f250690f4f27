"""The token side: RFC 6749 grants, RFC 7523 client authentication, RFC 9449 DPoP, RFC 9068 access
tokens, RFC 7662 introspection, RFC 7009 revocation and OpenID Connect Core §5.3 userinfo."""

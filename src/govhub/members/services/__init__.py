"""Services: members' APIs, their OpenAPI documents and endpoints, access rights, and the gateway's
view of them."""

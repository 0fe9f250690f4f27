"""The platform's front door: the home page, the API documentation page and the brand stylesheet."""

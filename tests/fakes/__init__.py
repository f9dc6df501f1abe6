"""Local stand-ins for the services pmbot talks to over the network."""

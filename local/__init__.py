"""The whole service on one machine: moto's server, the Billit and OutSmart fakes as HTTP
servers, the HTTP API and the SQS event source mappings in front of the unchanged handlers.

``python -m local.demo`` plays the story once (``make demo``); ``python -m local.dev`` keeps the
stack running (``make dev``). Everything binds to 127.0.0.1; no AWS account, no network.
"""

"""The DingTalk adapter: Stream mode in, robot OpenAPI and webhooks out; it only translates.

- `stream`: the dingtalk-stream client with backoff and a clean stop; `run_dingtalk(app)`.
- `handlers`: robot messages and card presses → `Inbound` → router → markdown or card update.
- `render`: `Reply` → DingTalk markdown and card parameters, Chinese by default.
- `notifier`: `DingTalkNotifier` for the outbox; `build_dingtalk_notifier(settings)`.
- `openapi`: access token cache, OpenAPI calls, webhook signing, classifying answers.

Nothing connects or reads settings at import time.
"""

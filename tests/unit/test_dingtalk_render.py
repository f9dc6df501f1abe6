"""DingTalk cards: what a reminder's buttons become."""

from __future__ import annotations

from bot.dingtalk.render import MAX_BUTTONS, button_params
from core.messages import Button, Reply


def test_a_reassign_button_asks_for_the_person_since_a_card_cannot_pick_one() -> None:
    reply = Reply(
        text="⏰ WEB-1",
        buttons=[
            Button("完成", "done WEB-1"),
            Button("1小时后提醒", "snooze WEB-1 1h"),
            Button("明天提醒", "snooze WEB-1 tomorrow"),
            Button("转交", "assign WEB-1 {user}"),
            Button("查看", "show WEB-1"),
        ],
    )
    params = button_params(reply)
    actions = [params[f"btn{i}_action"] for i in range(MAX_BUTTONS)]
    assert actions[:4] == ["done WEB-1", "snooze WEB-1 1h", "snooze WEB-1 tomorrow", "assign WEB-1"]
    assert "{user}" not in "".join(params.values())

"""Translation of DingTalk's real payload shapes (tests/fixtures/dingtalk) and rendering of
replies in DingTalk's markdown, without a network."""

from __future__ import annotations

import json

from bot.dingtalk.handlers import card_inbound, message_inbound
from bot.dingtalk.render import card_update, to_card_params, to_markdown
from core.messages import Button, Reply
from tests.fakes.dingtalk_gateway import CORP_ID, frame_data, load_fixture


def test_group_message_becomes_an_inbound_with_its_at_users() -> None:
    frame = load_fixture("group_message")
    inbound = message_inbound(frame_data(frame))

    assert inbound is not None
    assert inbound.platform == "dingtalk"
    assert inbound.tenant == CORP_ID
    assert inbound.user_id == "manager4521"  # the staff id, not the $:LWCP_v1 sender id
    assert inbound.user_name == "张三"
    assert inbound.text == "新建 写周报 @李四 截止 明天"  # the leading space is gone
    assert inbound.channel_id == "cidqO9Rj3vZ1fXb2Yw8kL0mTQ=="
    assert inbound.channel_name == "官网项目群"
    assert not inbound.is_direct
    assert inbound.event_id == "msgFn3dA8kXq0Zb1Yw7LcT5rGQ=="
    # the robot's own entry in atUsers is skipped; 李四 is matched to their staff id
    assert inbound.mention_ids == {"李四": "lisi0207"}


def test_one_to_one_message_is_direct_and_has_no_channel() -> None:
    inbound = message_inbound(frame_data(load_fixture("direct_message")))
    assert inbound is not None
    assert inbound.is_direct
    assert inbound.channel_id == ""
    assert inbound.user_id == "lisi0207"
    assert inbound.text == "列表"


def test_mentions_are_not_guessed_when_names_and_at_users_disagree() -> None:
    data = frame_data(load_fixture("group_message"))
    data["text"] = {"content": " 新建 评审 @李四 @王五"}  # 王五 is not in atUsers
    inbound = message_inbound(data)
    assert inbound is not None
    assert inbound.mention_ids == {}


def test_pictures_are_ignored() -> None:
    data = frame_data(load_fixture("group_message"))
    data.pop("text")
    data["msgtype"] = "picture"
    data["content"] = {"downloadCode": "mIofN681YE3f/+m+NntqpT"}
    assert message_inbound(data) is None


def test_card_press_runs_the_buttons_command_as_the_presser() -> None:
    frame = load_fixture("card_callback")
    parsed = card_inbound(frame_data(frame), message_id=frame["headers"]["messageId"])

    assert parsed is not None
    track, inbound = parsed
    assert track == "pmbot-3f2a9c1e7b5d4a6f8e0c2b4d6f8a0c1e3b5d7f9a"
    assert inbound.text == "done WEB-1"
    assert inbound.user_id == "lisi0207"
    assert inbound.tenant == CORP_ID
    assert inbound.channel_id == "cidqO9Rj3vZ1fXb2Yw8kL0mTQ=="
    assert inbound.event_id == f"card:{frame['headers']['messageId']}"


def test_reply_markdown_has_fields_buttons_as_hints_and_mentions() -> None:
    reply = Reply(
        text="已创建 WEB-1：写周报",
        fields=[("负责人", "@李四"), ("截止", "11月27日 周五")],
        buttons=[Button("完成", "done WEB-1")],
        mentions=["lisi0207"],
    )
    title, text = to_markdown(reply, mentions=["manager4521"])

    assert title == "已创建 WEB-1：写周报"
    assert "- **负责人**：@李四" in text
    assert "`done WEB-1`（完成）" in text
    assert text.endswith("@lisi0207 @manager4521")


def test_a_one_line_table_reply_lists_its_rows_for_phones() -> None:
    reply = Reply(
        text="共 2 个项目：",
        table=[["编号", "名称", "未完成"], ["WEB", "官网", "3"], ["APP", "应用", "0"]],
    )
    _, text = to_markdown(reply)
    assert "- **WEB** 官网 · 3" in text
    assert "|" not in text


def test_card_parameters_are_strings_with_hidden_spare_buttons() -> None:
    reply = Reply(text="⏰ 提醒：WEB-1 写周报", buttons=[Button("完成", "done WEB-1", "primary")])
    params = to_card_params(reply)

    assert all(isinstance(v, str) for v in params.values())
    assert params["btn0_label"] == "完成"
    assert params["btn0_style"] == "primary"
    assert params["btn1_visible"] == "false"
    assert json.dumps(params, ensure_ascii=False)  # serialisable as cardParamMap


def test_a_refused_press_only_sets_the_cards_notice() -> None:
    refused = Reply(text="没有权限", ok=False, error="permission_denied")
    assert card_update(refused) == {"notice": "没有权限"}

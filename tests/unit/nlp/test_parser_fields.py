"""Message-level fields of the contract: people, projects, priority, estimates, refs, titles."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from core.nlp import parse_message
from core.nlp.schema import ParseResult

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
NOW_SH = datetime(2026, 11, 24, 9, 30, tzinfo=SH)
NOW_NY = datetime(2026, 11, 24, 10, 0, tzinfo=NY)


def parse(text: str) -> ParseResult:
    return parse_message(text, NOW_SH)


@pytest.mark.parametrize(
    ("text", "assignees"),
    [
        ("@张三 完成季度报告", ["张三"]),
        ("@孙九 @周十 完成年终总结", ["孙九", "周十"]),
        ("请@张三 明天交报告", ["张三"]),
        ("@张三明天交报告", ["张三"]),
        ("remind @bob to ship it", ["bob"]),
        ("<@U024BE7LH> update the roadmap", ["U024BE7LH"]),
        ("send the email <@U07ABCD|maria>", ["U07ABCD"]),
        ("mail bob@example.com the notes", []),
        ("@bob @bob fix it", ["bob"]),
        ("<!here> please review the deck", []),
        ("@张三 @李四：明天交报告", ["张三", "李四"]),
        # No space after a CJK name: it ends at the verb or particle that starts the body.
        ("@张三交报告", ["张三"]),
        ("@王五提交周报", ["王五"]),
        ("@张三丰完成报告", ["张三丰"]),
        ("@欧阳娜娜提交周报", ["欧阳娜娜"]),
        ("@小王把合同发给客户", ["小王"]),
        ("@张三和@李四一起整理名单", ["张三", "李四"]),
        ("@张三 和 @李四 整理名单", ["张三", "李四"]),
        ("@bob交报告", ["bob"]),
        ("@bob开会", ["bob"]),
        ("@li.na 翻译产品手册", ["li.na"]),  # a dot inside a handle
        ("thanks @bob. Please ship it", ["bob"]),  # ... not at the end of a sentence
        ("remind @bob and @alice to finalize the contract", ["bob", "alice"]),
        # one name in two scripts: a Latin part and a Chinese name after it
        ("面试前端候选人 @HR小李", ["HR小李"]),
        ("@Tony王 review the PR", ["Tony王"]),
        ("@张三review一下代码", ["张三"]),
        # A name that merely ends in a verb-like character stays whole when nothing follows.
        ("@欧阳修 明天交", ["欧阳修"]),
        ("@张三丰", ["张三丰"]),
        # A typed broadcast is a mention handle like any other (the chat layer assigns nobody
        # for it); Slack's <!here> is not a mention.
        ("@所有人 明天下午三点开会", ["所有人"]),
        ("@全体成员 @张三 周五前提交周报", ["全体成员", "张三"]),
        ("@here review the doc", ["here"]),
        ("<!here> review the doc", []),
    ],
)
def test_mentions_become_assignees(text: str, assignees: list[str]) -> None:
    assert parse(text).assignees == assignees


@pytest.mark.parametrize(
    ("text", "intent", "task_ref", "project"),
    [
        ("把#12改到明天", "postpone", "12", None),
        ("#12完成了", "complete", "12", None),
        ("#618大促 整理商品清单", "create", None, "618大促"),
    ],
)
def test_a_number_tag_running_into_a_verb_is_a_task(text: str, intent: str,
                                                    task_ref: str | None,
                                                    project: str | None) -> None:
    result = parse(text)
    assert (result.intent, result.task_ref, result.project) == (intent, task_ref, project)


@pytest.mark.parametrize(
    ("text", "project", "tags"),
    [
        ("完成季度报告 #市场", "市场", []),
        ("完成年终总结 #行政#", "行政", []),
        ("把合同发给客户 #销售 #合同", "销售", ["合同"]),
        ("ship it #launch #q4 #infra", "launch", ["q4", "infra"]),
        ("fix bug #12 today", None, []),
        ("完成#市场", "市场", []),
    ],
)
def test_hashtags_are_project_then_tags(text: str, project: str | None, tags: list[str]) -> None:
    result = parse(text)
    assert (result.project, result.tags) == (project, tags)


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        ("完成报告 紧急", 1), ("完成报告 p1", 1), ("完成报告 P1", 1), ("restart the server !!!", 1),
        ("deploy the hotfix urgent", 1), ("deploy the hotfix ASAP", 1), ("紧急修复登录bug", 1),
        ("完成报告 重要", 2), ("完成报告 高优", 2), ("fix it p2", 2), ("fix it !!", 2),
        ("fix it high", 2), ("【重要】准备汇报材料", 2),
        ("完成报告 中", 3), ("fix it !", 3), ("fix it medium", 3), ("fix it p3", 3),
        ("完成报告 低", 4), ("fix it low", 4), ("update docs (low)", 4), ("fix it p4", 4),
        ("优先级：高 写文档", 2), ("P0 线上故障", 1), ("最高优先级 修复支付bug", 1),
        ("不紧急 整理文档", 4), ("合同发一下 尽快", 1), ("请尽快处理合同", None),
        ("fix high CPU usage on prod", None), ("重要客户回访", None), ("降低成本", None),
        ("中文文档翻译", None), ("上线了!", None),
        # a level word opening the message before a mention or a date is a marker
        ("high @leo refactor the middleware", 2), ("low tomorrow fix the login", 4),
        ("high availability setup", None),
    ],
)
def test_priority_markers(text: str, priority: int | None) -> None:
    assert parse(text).priority == priority


def test_priority_words_leave_the_title() -> None:
    assert parse("【重要】准备季度汇报材料").title == "准备季度汇报材料"
    assert parse_message("ship v2.0 on 12/15 at 3pm high", NOW_NY).title == "ship v2.0"


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("整理客户名单 预计3小时", 180), ("重构登录模块 估时2天", 960), ("写方案 预计半天", 240),
        ("写方案 预估1.5小时", 90), ("写方案 预计一个半小时", 90), ("写方案 预计30分钟", 30),
        ("写方案 预计1周", 2400), ("write tests ~2h", 120), ("draft the plan est 30m", 30),
        ("block the calendar for 2 hours", 120), ("review est. 45 min", 45), ("写方案", None),
        ("大概需要2小时 写文档", 120), ("需要3天后交付", None), ("写文档 预计两三天", 1440),
        ("pair for an hour and a half on the bug", 90), ("est 2 and a half days docs", 1200),
    ],
)
def test_estimates(text: str, minutes: int | None) -> None:
    assert parse(text).estimate_minutes == minutes


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("WEB-12 完成了", "WEB-12"), ("#12 完成了", "12"), ("任务12 完成了", "12"),
        ("把WEB-12推迟到下周一", "WEB-12"), ("close task #7", "7"), ("web-9 done", "WEB-9"),
    ],
)
def test_task_refs(text: str, ref: str) -> None:
    assert parse(text).task_ref == ref


def test_month_abbreviation_with_day_is_a_date_not_a_key() -> None:
    result = parse_message("Oct-2 send the report", NOW_NY)
    assert result.task_ref is None
    assert result.due == "2027-10-02"


def test_create_message_keeps_an_issue_key_in_its_title() -> None:
    result = parse("修复 WEB-12 里的登录问题 明天")
    assert result.intent == "create"
    assert result.task_ref is None
    assert "WEB-12" in result.title


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [
        ("WEB-12 推迟两天", 2, "day"), ("WEB-12 延期一周", 1, "week"),
        ("#12 推迟3个工作日", 3, "workday"), ("WEB-1 延后2小时", 2, "hour"),
        ("WEB-1 顺延一个月", 1, "month"), ("WEB-1 推迟30分钟", 30, "minute"),
        ("WEB-3 提前两天", -2, "day"),
        ("push back WEB-4 3 days", 3, "day"), ("postpone WEB-3 by 1 week", 1, "week"),
        ("delay API-2 by two working days", 2, "workday"),
        # the verb in one language, the amount in the other
        ("API-9 delay 两天", 2, "day"), ("OPS-17 往后推 1 week", 1, "week"),
        ("WEB-3 postpone 三个工作日", 3, "workday"),
        # earlier, not later
        ("bring WEB-11 forward by 2 days", -2, "day"), ("move WEB-3 up by 2 days", -2, "day"),
        ("pull API-1 in by a day", -1, "day"),
        ("WEB-9 move in 3 days", 3, "day"),  # "in 3 days" is later, not "move in"
        ("#18 延後3個工作天", 3, "workday"),  # Taiwan's 工作天
    ],
)
def test_shifts(text: str, amount: int, unit: str) -> None:
    result = parse(text)
    assert result.intent == "postpone"
    assert result.shift is not None
    assert (result.shift.amount, result.shift.unit) == (amount, unit)


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("明天下午3点前 @张三 完成季度报告 #市场 紧急", "完成季度报告"),
        ("请在3天后完成接口文档 #后端 低", "完成接口文档"),
        ("麻烦 @吴一 后天上午十点 把合同发给客户 #销售 #合同", "把合同发给客户"),
        ("月底前 @赵六 整理客户名单 预计3小时", "整理客户名单"),
        ("本周五下班前 @刘八 提交3个接口的测试报告", "提交3个接口的测试报告"),
        ("提醒我明天给妈妈打电话", "给妈妈打电话"),
        ("记得周四交水电费", "交水电费"),
        ("帮忙 在周五之前 整理发票", "整理发票"),
        ("截止12月15日 提交材料", "提交材料"),
        ("今晚8点半 上线v2.1 @陈七 重要", "上线v2.1"),
        ("remind @bob to ship the release notes by next Friday 5pm p1 #launch",
         "ship the release notes"),
        ("todo: draft the hiring plan est 2h low #people", "draft the hiring plan"),
        ("please prepare the board deck by Dec 3rd #exec", "prepare the board deck"),
        ("can you review the PR by Friday?", "review the PR"),
        ("task: write tests for the parser", "write tests for the parser"),
        ("fix 2 bugs in the checkout flow by end of month !!", "fix 2 bugs in the checkout flow"),
        ("截止日期：12月3日 提交材料", "提交材料"),
        ("ddl 周五 交报告", "交报告"),
        ("DDL：下周三 评审", "评审"),
        ("11.30前提交材料", "提交材料"),
        ("升级到2.10版本", "升级到2.10版本"),
        ("给 @张三 发邮件 明天", "给 发邮件"),
        ("<!here> please review the deck by Friday", "review the deck"),
        ("<#C123|general> post the notes tomorrow @bob", "post the notes"),
        ("@张三 @李四：明天交报告", "交报告"),
        ("TODO - clean up the backlog", "clean up the backlog"),
        ("能不能明天把报告发一下?", "把报告发一下"),
        ("@dan can you take a look at WEB-33 tomorrow", "take a look at WEB-33"),
        ("@张三交报告", "交报告"),
        ("Q1结束前 完成迁移", "完成迁移"),
        ("@所有人 明天下午三点开会", "开会"),
        ("周五(12/4)前交方案", "交方案"),
        ("@张三和@李四明天一起整理名单", "一起整理名单"),
        # a date named in passing, run into the word it describes, while another date is due
        ("周五前把第四季度复盘PPT发我", "把第四季度复盘PPT发我"),
        ("12月25日前 寄出客户圣诞贺卡", "寄出客户圣诞贺卡"),
        ("write the Q4 report by Friday", "write the Q4 report"),
        ("prepare the 2027 budget by Friday", "prepare the 2027 budget"),
        # ... but a list of dates, or a second date with its own connector, still goes
        ("周三和周五开会", "开会"),
        ("the monday after next kick off the audit", "kick off the audit"),
        ("remind @bob and @alice to finalize the contract", "finalize the contract"),
        ("high @leo refactor the auth middleware", "refactor the auth middleware"),
        ("high availability setup for the db", "high availability setup for the db"),
        # names and counted ranges that look like dates
        ("统计双11大促期间的退款工单数量", "统计双11大促期间的退款工单数量"),
        ("整理一季度财报的 3 个关键指标", "整理一季度财报的 3 个关键指标"),
        ("核对第 10-20 页的翻译", "核对第 10-20 页的翻译"),
        ("check pages 10-20 of the handbook", "check pages 10-20 of the handbook"),
        ("明天 圣诞贺卡", "圣诞贺卡"),  # a space is not a list of dates
        ("slides for the Dec 3 all-hands by Friday", "slides for the Dec 3 all-hands"),
        # a message opening with "at N" says when; "look at 3 options" counts things
        ("at 4 demo the 2FA flow", "demo the 2FA flow"),
        ("look at 3 options", "look at 3 options"),
        ("at 5 locations", "at 5 locations"),
        # a gap left by a mention does not join 8点 to the 整 of 整理
        ("晚上8点 @李四 整理发票", "整理发票"),
        ("明天下午3点前 完成季度报告 周五前发出", "完成季度报告发出"),
    ],
)
def test_titles_are_what_is_left(text: str, title: str) -> None:
    assert parse_message(text, NOW_SH).title == title


def test_title_keeps_the_original_characters() -> None:
    # Matching runs on a normalised copy; the title is cut from what the user typed.
    assert parse("明天 提交ＡＢＣ報告").title == "提交ＡＢＣ報告"


def test_title_drops_invisible_characters() -> None:
    assert parse("明天 提交\u200b报告\u202e").title == "提交报告"


@pytest.mark.parametrize(("text", "lang"), [("明天 开会", "zh"), ("meet tomorrow", "en"),
                                            ("review the PR 明天", "zh"), ("123", "en")])
def test_lang_follows_ideographs(text: str, lang: str) -> None:
    assert parse(text).lang == lang


def test_source_is_rules() -> None:
    assert parse("明天 开会").source == "rules"


def test_confidence_is_higher_for_a_clear_task_than_for_leftover_date_words() -> None:
    clear = parse("明天下午3点 @张三 完成季度报告")
    leftover = parse("完成季度报告 next fortnightly-ish 明天后的周五吧")
    assert 0.0 <= leftover.confidence < clear.confidence <= 1.0
    assert clear.confidence >= 0.8


def test_confidence_is_low_for_junk() -> None:
    assert parse("123").confidence < 0.5


def test_links_are_kept_whole_and_read_for_nothing() -> None:
    result = parse_message("review https://x.com/app/#/route?d=2026-12-01 by Friday @bob", NOW_NY)
    assert result.title == "review https://x.com/app/#/route?d=2026-12-01"
    assert (result.project, result.assignees, result.due) == (None, ["bob"], "2026-11-27")

"""The rule parser: one chat message in, one `ParseResult` out (nl-contract.md).

Each recognised token (mention, #project, task ref, estimate, shift, priority, date) is found
in a normalised copy of the text and blanked out of a working copy, so later patterns never
see it and the title is simply what is left, cut from the text as the user wrote it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from typing import Final

from core.calendar import WeekdayCalendar, WorkCalendar
from core.nlp.schema import Intent, ParseResult, Shift, ShiftUnit
from core.nlp.text import approx_count, as_written, cn_to_int, has_cjk, normalize
from core.nlp.time_zh import find_times_zh
from core.nlp.timeexpr import find_times, named_in_passing

# Chat messages are short; past this the rest of a paste is ignored so that a worst-case text
# (thousands of dense date fragments) still parses in a few tens of milliseconds.
MAX_CHARS: Final = 2000

_I: Final = re.IGNORECASE
_DELIM: Final = r"\s@#<>,，。.!！?？:：;；、()（）\[\]【】\"'“”‘’《》|"

_SLACK_MENTION: Final = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")
# Slack broadcasts (<!here>) and channel links (<#C123|general>) address no one in particular.
_SLACK_SPECIAL: Final = re.compile(r"<![a-z]+(?:\^[A-Z0-9]+)?(?:\|[^>]*)?>|<#[A-Z0-9]+(?:\|[^>]*)?>")
# `@li.na`: a dot inside a handle; `@bob.` ends a sentence
_MENTION: Final = re.compile(rf"(?<![A-Za-z0-9_.])[@＠]([^{_DELIM}]+(?:\.[^{_DELIM}]+)*)")
# A CJK mention typed without a space (`@张三交报告`) ends where the message body starts: at a
# task verb or a particle, at least two characters in (Chinese names have two to four), and
# only when something follows it (`@欧阳修 明天` keeps its name).  Single characters that are
# common in given names (明 发 修 来 ...) are not boundaries on their own.
_MENTION_END: Final = re.compile(
    r"提交|完成|处理|跟进|整理|准备|确认|检查|联系|安排|更新|修复|修改|审核|审批|测试|上线|部署|评审"
    r"|回复|通知|汇总|汇报|对接|协助|配合|同步|优化|设计|开发|编写|撰写|填写|提供|发送|发布|发给|发一下"
    r"|收集|统计|核对|负责|需要|必须|务必|尽快|赶紧|马上|立即|立刻|一起|帮忙|麻烦|记得|参加|参与|组织"
    r"|申请|采购|打印|提醒|告诉|看一下|看下|问一下|整一下|出一[个份版]"
    r"|[把将给跟和与及在对向帮去要请交写做改查看搞弄办的也都先再补跑测催]"
)
# How a Chinese name that follows Latin letters in one handle starts (`@HR小李`, `@Tony王`):
# 小/老/阿 and the common surnames, leaving out those that also start a task word (任务, 马上,
# 高优, 方案, 付款, 周五, 金额, 于是, 向, 万一, 钱, 常).
_NAME_START: Final = frozenset(
    "小老阿王李张刘陈杨黄赵吴徐孙胡朱林何郭罗梁宋郑谢韩唐冯董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏"
    "薛叶阎余潘杜戴夏汪田范姜石姚谭廖邹熊陆郝孔崔邱秦江史顾侯邵孟龙黎易乔贺赖龚文")
# DingTalk's @所有人 and a typed @here address everyone, like Slack's <!here>: nobody in particular.
BROADCAST: Final = frozenset({"所有人", "全体成员", "全体", "全员", "大家", "all", "everyone", "here",
                               "channel"})
# What may join two mentions (`@张三和@李四`): it goes with them, not into the title.
_MENTION_JOIN: Final = re.compile(r"\s*(?:和|跟|与|及|、|,|，|&|\band\b)\s*(?=[@＠])", re.IGNORECASE)
_MENTION_SCRIPT: Final = re.compile(r"[A-Za-z0-9_.\-]+(?=[\u3400-\u9fff])|[\u3400-\u9fff]+(?=[A-Za-z])")
# `#12` is a task number, also when a verb or particle runs straight on (`把#12改到明天`);
# `#618大促` is a project.
_TAG: Final = re.compile(
    rf"(?<![A-Za-z0-9_&#])#(?!\d+(?:(?![^{_DELIM}])|[改推延顺挪提完搞做关交转分指派已还的和与由给让换标设请]))"
    rf"([^{_DELIM}]+)#?")
# Issue keys (WEB-12); month abbreviations with a day (Oct-2) are dates, not keys.
_KEY_REF: Final = re.compile(
    r"(?<![A-Za-z0-9_-])(?!(?:jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)-)([A-Za-z][A-Za-z0-9]{1,9}-\d+)"
    r"(?![A-Za-z0-9_-])",
    _I,
)
_NUM_REF: Final = re.compile(
    r"(?:(?<![A-Za-z0-9_#])#|(?:任务|(?<![A-Za-z])(?:task|issue|ticket))\s*#?\s*)(\d+)(?![A-Za-z0-9_])", _I
)

_EN_NUM: Final = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
                  "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
                  "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "half": 0}
_EN_NUM_P: Final = r"\d+(?:\.\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|half"
_ZH_NUM_P: Final = r"\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百廿半]+"

_MINUTES: Final = {"minute": 1, "hour": 60, "day": 480, "week": 2400, "month": 9600}
_ZH_UNIT: Final = {"分钟": "minute", "分": "minute", "min": "minute", "m": "minute", "小时": "hour",
                   "钟头": "hour", "个钟": "hour", "h": "hour", "天": "day", "日": "day",
                   "人天": "day", "人日": "day", "工作日": "workday", "d": "day", "周": "week",
                   "星期": "week", "礼拜": "week", "w": "week", "月": "month"}

_ZH_ESTIMATE: Final = re.compile(
    rf"(?:大概|大约)?(?:预计|预估|估计|估时|估算|耗时|工时|工作量|用时|约需|需时|需要|要花|花费|大概要|大约要)"
    rf"\s*[:：=]?\s*(?:约|大约|大概)?\s*"
    rf"(?:(?P<halfday>半天)|(?P<n>{_ZH_NUM_P})\s*(?P<half1>个半)?\s*个?\s*"
    r"(?P<u>分钟|小时|钟头|人天|人日|工作日|天|日|周|星期|礼拜|月|min|h|d|w|m)(?P<half2>半)?)"
    # `需要3天后交付` is a deadline, not an estimate.
    r"(?![后内前以之])",
    _I,
)
_EN_ESTIMATE: Final = re.compile(
    rf"(?:~|≈|(?<![A-Za-z])(?:est(?:imate[ds]?)?\.?\s*[:=]?|estimated\s+(?:at\s+)?|takes?\s+(?:about\s+)?"
    rf"|for\s+(?:about\s+)?))\s*(?P<n>{_EN_NUM_P})(?P<half1>\s+and\s+a\s+half)?\s*[- ]?"
    r"(?P<u>minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|wks?|w)(?![A-Za-z])"
    r"(?P<half2>\s+and\s+a\s+half)?",
    _I,
)
_EN_UNIT: Final = {"m": "minute", "min": "minute", "mins": "minute", "minute": "minute",
                   "minutes": "minute", "h": "hour", "hr": "hour", "hrs": "hour", "hour": "hour",
                   "hours": "hour", "d": "day", "day": "day", "days": "day", "w": "week",
                   "wk": "week", "wks": "week", "week": "week", "weeks": "week"}

# Shift verbs and units in each language; a mixed message may take the verb from one and the
# amount from the other (`API-9 delay 两天`, `OPS-17 往后推 1 week`).
_ZH_SHIFT_VERB: Final = r"往后推迟|往后推|向后推|往后挪|往后延|推迟|延后|延期|顺延|推后|后延|延迟|挪后|后推|提前"
_EN_SHIFT_VERB: Final = (r"postpone|push(?:\s+(?:it\s+)?(?:back|out))?|delay|defer"
                         r"|move(?:\s+(?:it\s+)?(?:back|out))?|bump|slip|extend")
_ZH_SHIFT_UNIT: Final = r"分钟|小时|钟头|工作日|天|日|周|星期|礼拜|月"
_EN_SHIFT_UNIT: Final = (r"(?:business|working|work)\s*days?|minutes?|mins?|hours?|hrs?|days?|weeks?|wks?"
                         r"|months?")

_ZH_SHIFT: Final = re.compile(
    rf"(?P<verb>{_ZH_SHIFT_VERB}|推)了?\s*(?P<n>{_ZH_NUM_P})\s*个?\s*(?P<u>{_ZH_SHIFT_UNIT})"
)
_EN_SHIFT: Final = re.compile(
    # "bring WEB-3 forward by 2 days", "pull it in", "move it up": earlier
    r"(?P<verb>bring\s+(?:\S+\s+)?forward(?=\s+by\s)|(?:pull|move)\s+\S+\s+(?:in|up)(?=\s+by\s)"
    rf"|{_EN_SHIFT_VERB})(?:\s+[^\s]+){{0,3}}?\s+(?:by\s+)?"
    rf"(?P<n>{_EN_NUM_P})\s*(?P<u>{_EN_SHIFT_UNIT})(?![A-Za-z])",
    _I,
)
_MIX_SHIFT: Final = re.compile(
    rf"(?P<verb>{_ZH_SHIFT_VERB}|{_EN_SHIFT_VERB})了?\s*(?:by\s+)?"
    rf"(?P<n>{_ZH_NUM_P}|{_EN_NUM_P})\s*个?\s*(?P<u>{_ZH_SHIFT_UNIT}|{_EN_SHIFT_UNIT})(?![A-Za-z])",
    _I,
)

_PRIORITY_RULES: Final[list[tuple[re.Pattern[str], int]]] = [
    (re.compile(r"(?<![A-Za-z0-9_])p([0-4])(?![A-Za-z0-9_])", _I), 0),
    (re.compile(r"(?:priority|prio|优先级)\s*[:：=]?\s*(?:p)?(?P<v>[1-4]|urgent|high|medium|low|紧急|高|中|低)",
                _I), -1),
    (re.compile(rf"(?:(?<=[{_DELIM}])|^)(?:非常紧急|十万火急|紧急|加急|特急|很急|急急|急|尽快|越快越好|urgent|asap|critical|blocker)"
                rf"(?=[{_DELIM}]|$)|^\s*(?:紧急|加急|特急)|最高优先级|最高优", _I), 1),
    (re.compile(rf"(?:(?<=[{_DELIM}])|^)(?:非常重要|很重要|重要|高优先级|高优|优先级高|高|high\s+priority|high-priority|high|important)"
                rf"(?=[{_DELIM}]|$)", _I), 2),
    (re.compile(rf"(?:(?<=[{_DELIM}])|^)(?:中优先级|优先级中|中优|中等|中|medium\s+priority|medium)"
                rf"(?=[{_DELIM}]|$)", _I), 3),
    (re.compile(rf"(?:(?<=[{_DELIM}])|^)(?:低优先级|优先级低|低优|不紧急|不着急|不急|低|low\s+priority|low-priority|low)"
                rf"(?=[{_DELIM}]|$)", _I), 4),
    (re.compile(r"(?:(?<=\s)|^)(?P<bang>!{1,3})(?=\s|$)|(?<=\S)(?P<tail>!{2,3})(?=\s*$)"), -2),
]
_PRIORITY_WORDS: Final = {"urgent": 1, "紧急": 1, "high": 2, "高": 2, "medium": 3, "中": 3,
                          "low": 4, "低": 4}
# English level words are ordinary words too ("high availability"); trust them only at the end.
_ONLY_MARKS: Final = re.compile(r"[\s()\[\]【】（）.!,;:]*")
_EN_LEVEL_WORD: Final = re.compile(r"^(?:high|medium|low|important|critical)$", _I)

# Chinese "it is done" (`做完了`, `已经搞定`) and a check mark, shared by the patterns below.
_ZH_DONE: Final = (r"(?:已经?|都)?(?:完成|[做写弄搞改修办跑测审发交]完|搞定|弄好|做好|写好|改好|解决|关闭|关掉"
                   r"|完工|完结|修复|修好)(?:了|啦|喽)|已经?(?:完成|搞定|解决|关闭|修复)")
_CHECK_MARK: Final = r"[✅✔☑]|:(?:white_check_mark|heavy_check_mark|ballot_box_with_check):"
_COMPLETE: Final = re.compile(
    rf"{_ZH_DONE}|已经?(?:上线|处理)|(?:标记|标为|设为)(?:为)?(?:已)?完成"
    r"|^\s*(?:完成|关闭|搞定|结束)\s|(?<![A-Za-z])(?:done|finished|completed|complete|closed|close|resolved"
    r"|resolve|fixed|finish|wrapped\s+up|shipped|merged)(?![A-Za-z])"
    # ✅ and ok了 mark a task done at an end of the message, not inside a sentence
    rf"|(?<![A-Za-z])ok(?:了|啦|喽)[\s!！~。.]*$|^\s*(?:{_CHECK_MARK})|(?:{_CHECK_MARK})[\s!！~。.]*$"
    r"|(?:干|忙|整|处理|搞|修|跑|测)完(?:了|啦|喽)",
    _I,
)
# With an issue key present, a bare completion verb is enough (`WEB-12 搞定`).
_COMPLETE_VERB: Final = re.compile(
    r"完成|搞定|做完|写完|弄完|关闭|关掉|完工|"
    r"(?<![A-Za-z])(?:done|finish(?:ed)?|complete[d]?|close[d]?|resolved|fixed|shipped)(?![A-Za-z])",
    _I,
)
_COMPLETE_TAIL: Final = re.compile(
    rf"(?:{_ZH_DONE}"
    r"|(?<![A-Za-z])(?:is\s+)?(?:done|finished|completed|closed|resolved|fixed))[\s.!。！~]*$",
    _I,
)
# A negated or hypothetical statement changes nothing (the contract: it is `unknown`). "Not done"
# only stops a completion (`API-21 延期一周，客户还没给数据` still postpones); "don't" and "if" stop
# every change.
_DONE_WORDS: Final = (r"(?:[做写弄搞改修办跑测审发交干]完|完成|搞定|做好|弄好|写好|关闭|解决|修复|上线|结束)")
_NOT_DONE: Final = re.compile(
    rf"(?:还没有?|还未|尚未|并未|没有?|未|不算|不是)(?:已经?|全部|彻底)?{_DONE_WORDS}"
    r"|(?<![A-Za-z])(?:not|never|no\s+longer)\s+(?:yet\s+|quite\s+|fully\s+|really\s+)?"
    r"(?:been\s+)?(?:done|finished|complete[d]?|closed|resolved|fixed|shipped|merged)(?![A-Za-z])"
    r"|n[’']t\s+(?:yet\s+|quite\s+|been\s+|really\s+)*"
    r"(?:done|finished|complete[d]?|closed|resolved|fixed|shipped|merged)(?![A-Za-z])",
    _I,
)
_DONT: Final = re.compile(
    r"(?:(?<![能要用])(?:别|不要|不用|不能)|先别|暂时不|暂不|不必|无需|勿)\s*(?:[把将]\s*\S+?\s*)?(?:标记|标为|设为)?(?:为)?(?:已)?"
    r"(?:完成|关闭|关掉|关|结束|推迟|延期|延后|改期|挪|交给|转给|指派|分配|改派|搞定)"
    r"|^\s*(?:如果|假如|要是|万一|假设)"
    r"|(?:如果|假如|要是|万一|假设)\s*(?:[A-Za-z][A-Za-z0-9]*-\d+|#\d+|任务\d+)"
    r"|(?<![A-Za-z])(?:don[’']?t|do\s+not|never|no\s+need\s+to|stop)\s+"
    r"(?:\S+\s+){0,3}?(?:mark|close|complete|finish|resolve|postpone|push|move|delay|defer"
    r"|reschedule|re-?assign|assign|hand|give|transfer)(?![A-Za-z])"
    r"|^\s*(?:if|unless|in\s+case|what\s+if|suppose|supposing|assuming)(?![A-Za-z])"
    r"|(?<![A-Za-z])(?:if|unless|in\s+case)\s+(?:[A-Za-z][A-Za-z0-9]*-\d+|#\d+)",
    _I,
)
_REASSIGN: Final = re.compile(
    r"交给|转给|分配给|指派给|移交给?|转交给?|改派给?|改给|分给|派给|改由|换成|换给|指给|指派|分配|给|负责|接手"
    r"|(?<![A-Za-z])(?:re-?assign(?:ed)?|assign(?:ed)?|hand(?:\s+\S+)?\s+(?:over\s+)?to"
    r"|hand\s+over\s+\S+\s+to|give\s+\S+\s+to"
    r"|transfer)(?![A-Za-z])"
    # `move DATA-14 to @raj`: moved to a person, not to a date
    r"|(?<![A-Za-z])(?:move|pass)\s+(?:\S+\s+)?(?:over\s+)?to\s*(?=[@＠]|<@)",
    _I,
)
# Said with a person and a task key: `@omar please take over WEB-14`, `let @jane own WEB-19`.
_REASSIGN_WITH_PERSON: Final = re.compile(
    r"(?<![A-Za-z])(?:(?:take[sn]?|taking)\s+over|(?:is|are|will\s+be)\s+taking|will\s+take)"
    r"\s+(?:[A-Za-z][A-Za-z0-9]*-\d+|#\d+|it|this)(?![A-Za-z0-9])"
    r"|(?<![A-Za-z])(?:let\s+\S+\s+own|owns?\s+\S+\s+(?:going\s+forward|from\s+(?:now|here))"
    r"|own\s+\S+\s+now)(?![A-Za-z])|接手|接管|来负责|负责吧",
    _I,
)
_POSTPONE: Final = re.compile(
    r"推迟|延期|延后|顺延|改到|挪到|推到|改期|延到|改成|改为|调整到|调整为|调到|延至|推至|(?<![A-Za-z])(?:push(?:ed)?|postpone[d]?|move[d]?"
    r"|reschedule[d]?|delay(?:ed)?|defer(?:red)?|bump(?:ed)?)(?![A-Za-z])"
    r"|(?<![A-Za-z])slip(?:s|ped)?\s+(?:to|by|until)(?![A-Za-z])"
    # "change WEB-3's due date to Dec 10", "change the deadline of API-12 to ..."
    r"|(?<![A-Za-z])change\s+(?:\S+\s+){0,4}?(?:due(?:\s+date)?|deadline)"
    r"(?:\s+(?:of|for)\s+\S+)?\s+(?:to|until)(?![A-Za-z])",
    _I,
)
_QUERY_LEAD: Final = re.compile(
    r"^\s*(?:what(?:'s|s| is| are)?|which|how\s+many|do\s+i\s+have"
    r"|查询|我的任务|我的待办|我有哪些|有哪些|哪些)(?![A-Za-z])",
    _I,
)
# "show the demo", "list the requirements", "看一下合同" are tasks: these leads make a query
# only when the message is about work items or asks a question.
_WEAK_QUERY_LEAD: Final = re.compile(
    r"^\s*(?:show(?:\s+me)?|list|any(?:thing)?|who|查看|查一下|查下|列出|列一下|显示|看看|看一下|看下|瞧瞧)"
    r"(?![A-Za-z])",
    _I,
)
_QUERY_ANY: Final = re.compile(
    r"哪些|多少|几个任务|几项|有没有.{0,20}任务|(?:什么|啥)\s*(?:任务|安排|事|待办|tasks?|todos?)"
    r"|[要该得需](?:[做交办干写改看]|完成|处理|提交)(?:些)?(?:什么|啥)|做啥|干啥"
    r"|(?:什么|啥)要[交做办干]|进度如何|进展如何|怎么样了"
)
# a trailing emoji or symbol does not hide the question (`有啥要交的吗😅`)
_QUESTION_END: Final = re.compile(r"(?:[?？]|吗|呢)[^\w]*$")
# A question (`WEB-12 谁负责？`, `is API-3 done?`) asks; it does not change the task.
_QUESTION_WORD: Final = re.compile(
    r"谁|什么|啥|哪|多少|几[个点号天]|怎么|如何|是否|有没有|吗[^\w]*$|(?<![A-Za-z])(?:who|what|when|where|which|how"
    r"|is|are|did|does|do|has|have)(?![A-Za-z])",
    _I,
)
# A bare question is a query only when it is about work items.
# The topics that are the team's work items themselves, not just words about progress.
_WORK_ITEMS: Final = re.compile(
    r"任务|待办|事项|逾期|(?<![A-Za-z])(?:tasks?|todos?|to-dos?|overdue|assigned\s+to\s+me"
    r"|(?:everything|anything|what(?:'s|\s+is)?)\s+(?:still\s+)?(?:due|open|pending))(?![A-Za-z])",
    _I,
)
_QUERY_TOPIC: Final = re.compile(
    r"任务|待办|事项|工作|事情|截止|到期|逾期|过期|进度|进展|安排|计划|(?<![A-Za-z])(?:tasks?|todos?|due"
    r"|overdue|deadlines?|assigned|open|pending|blocked|progress|status|my|outstanding|remaining)"
    r"(?![A-Za-z])",
    _I,
)
# A request to be shown work items, said at the end (`逾期的任务列一下`, `todo list 给我看看`).
_SHOW_ME_TAIL: Final = re.compile(
    r"(?:给我|发我|让我)?(?:看看|看一下|看下|瞧瞧|列一下|列出来|列个清单|列下|汇总一下)[\s.。!！~🙏]*$")
# A bare noun phrase naming someone's work items (`我负责的任务`, `逾期的任务`, `my open tasks`).
# Each optional word owns the spaces after it, so a long run of spaces cannot backtrack.
_MY_TASKS: Final = re.compile(
    r"(?:(?:我们|我的|我|你|大家)\s*)?(?:(?:负责|参与|名下|手上|手头|逾期|过期|到期|未完成|没完成|待办|还没做)\s*)?"
    r"(?:的\s*)?(?:任务|待办|事项|todo\s*list|todos?)(?:\s*(?:有哪些|清单|列表))?[?？。!！]?"
    r"|(?:my|our)\s+(?:(?:open|overdue|pending)\s+)?(?:tasks|todos|to-?dos|work\s+items)[?.!]?",
    re.IGNORECASE)
_REQUEST_LEAD: Final = re.compile(
    r"^\s*(?:(?:can|could|would|will)\s+(?:you|someone|u)|pls|please|能不能|能否|可以|可否|麻烦|请|帮忙|帮我)",
    _I,
)
_GREETING: Final = re.compile(
    r"^\s*(?:(?:hi|hello|hey|morning)(?:\s+(?:team|all|everyone|guys|folks|there))?|thanks?"
    r"|thank\s+you|thx|ok(?:ay)?|yes|no|lol|good\s+(?:morning|night)"
    r"|你好|您好|大家好|谢谢|多谢|好的|好|收到|嗯+|哈+|ok了|早上好|早安|晚安|早|在吗|在不在)[\s.!。！~]*$",
    _I,
)

_WRAPPER: Final = re.compile(
    r"\s*(?:todo|to-do|task|reminder|待办|任务|备忘)\s*[:：\-—]\s*"
    r"|\s*(?:remind\s+(?:me|us|everyone|him|her|them)?\s*(?:to\s+)?|remind(?=\s*$))"
    r"|\s*(?:please|pls|plz|kindly|can\s+you|could\s+you|would\s+you|can\s+someone)(?![A-Za-z])\s*"
    r"|\s*(?:能不能|能否|可不可以|请你|请您|请|麻烦你|麻烦您|麻烦|帮忙|帮我记一下|帮我记下|记一下|帮我|提醒一下|提醒我|提醒大家|提醒|记得|别忘了|记住)\s*"
    r"|\s*(?:让|叫|由)(?=\s)\s*|\s*[,，:：\-—]+\s*",
    _I,
)
_WORDY: Final = re.compile(r"[A-Za-z\u3400-\u9fff]")
_EMPTY_BRACKETS: Final = re.compile(r"【\s*】|\[\s*\]|\(\s*\)|（\s*）|「\s*」|<\s*>")
_TRIM: Final = " \t\r\n,.;:!?，。；：！？、~～-—…|"
# Date-like words left in a title mean part of a date was not understood.
_DATEISH: Final = re.compile(
    r"[\d一二三四五六七八九十]+\s*(?:月|号|点钟?|时|am|pm)|[周星礼][期拜]?[一二三四五六日天]|明天|后天|下周|上周"
    r"|(?:之前|以前)$|(?<![A-Za-z])(?:tomorrow|tonight|yesterday|next\s+\w+|o'?clock|noon|midnight"
    r"|at\s+\d{1,2}(?::\d\d)?"
    r"|(?:mon|tues|wednes|thurs|fri|satur|sun)day|(?:by|before|until|till|due)\s+(?:the\s+)?"
    r"(?:\d|next|this|end|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))(?![A-Za-z])",
    _I,
)


# A private-use character no pattern matches: what a link looks like to the grammar.
_MASK: Final = "\ue000"
_URL: Final = re.compile(r"<?(?:https?://|www\.)[^\s<>]+>?", _I)


@dataclass(slots=True)
class _Work:
    """The normalised text, a working copy with consumed parts blanked, and what was consumed."""

    norm: str
    chars: list[str]
    taken: bytearray = field(default_factory=bytearray)
    _text: str | None = None

    @classmethod
    def of(cls, norm: str) -> _Work:
        """Start with nothing consumed."""
        return cls(norm, list(norm), bytearray(len(norm)), norm)

    def text(self) -> str:
        """The working copy: consumed parts are spaces, hidden parts a private-use mark."""
        if self._text is None:
            self._text = "".join(self.chars)
        return self._text

    def take(self, start: int, end: int) -> None:
        """Consume a stretch: later patterns cannot see it and the title leaves it out."""
        if end > start:
            self.taken[start:end] = b"\x01" * (end - start)
            self.chars[start:end] = [" "] * (end - start)
            self._text = None

    def mask(self, start: int, end: int) -> None:
        """Hide a stretch from every pattern but keep it for the title (links)."""
        self.chars[start:end] = [_MASK] * (end - start)
        self._text = None

    def give_back(self, start: int, end: int) -> None:
        """Undo `take`/`mask` on a stretch."""
        self.taken[start:end] = bytes(end - start)
        self.chars[start:end] = list(self.norm[start:end])
        self._text = None


def _number(raw: str) -> float | None:
    word = raw.strip().lower()
    if word in {"half", "半"}:
        return 0.5
    if word in _EN_NUM:
        return float(_EN_NUM[word])
    try:
        return float(word)
    except ValueError:
        value = approx_count(word) or cn_to_int(word)
        return None if value is None else float(value)


def _mentions(work: _Work, now: datetime, calendar: WorkCalendar, original: str,
              offsets: list[int]) -> list[str]:
    found: list[tuple[int, str]] = []
    text = work.text()
    for m in _SLACK_MENTION.finditer(text):
        found.append((m.start(), m.group(1)))
        work.take(m.start(), m.end())
    for m in _SLACK_SPECIAL.finditer(text):
        work.take(m.start(), m.end())
    text = work.text()
    for m in _MENTION.finditer(text):
        handle = m.group(1)
        joined = text.startswith(("@", "＠"), m.end())
        cut = _mention_length(handle, joined, now, calendar) if has_cjk(handle) else len(handle)
        end = m.start(1) + cut
        joiner = _MENTION_JOIN.match(text, end)
        # `@所有人`/`@all` is a mention like any other here; the chat layer knows it means
        # the whole channel (`is_broadcast`) and assigns nobody for it
        found.append((m.start(), as_written(original, offsets, m.start(1), end)))
        work.take(m.start(), joiner.end() if joiner is not None else end)
    seen: list[str] = []
    for _, handle in sorted(found):
        if handle not in seen:
            seen.append(handle)
    return seen


def is_broadcast(handle: str) -> bool:
    """Whether a mention handle addresses everyone (`所有人`, `all`, `here`) rather than a person."""
    return normalize(handle.strip().lstrip("@＠"))[0].lower() in BROADCAST


def _mention_length(handle: str, joined: bool, now: datetime, calendar: WorkCalendar) -> int:
    """How much of the run after `@` is the name when the message runs straight on.

    `joined` says another mention follows the run directly (`@张三和@李四`).
    """
    script = _MENTION_SCRIPT.match(handle)
    if script is not None:
        tail = handle[script.end():]
        if handle[0].isascii() and len(tail) <= 3 and not joined and tail[0] in _NAME_START \
                and _MENTION_END.match(tail) is None and not find_times_zh(tail, now, calendar):
            return len(handle)  # `@HR小李`, `@Tony王`: one name in two scripts
        # `@bob交报告`, `@张三review一下`: the name ends where the script changes.
        return script.end()
    if len(handle) <= 2:
        return len(handle)
    # DingTalk names often run straight into the message (`@张三明天交`): cut at a date.
    spans = find_times_zh(handle[:40], now, calendar)
    cut = min((s.start for s in spans if s.start > 0), default=len(handle))
    # ... or at the verb or particle that starts the message body (`@张三交报告`).
    for m in _MENTION_END.finditer(handle, 2, cut):
        if len(handle) - m.start() >= 2 or joined:
            return m.start()
    return cut


def _tags(work: _Work, original: str, offsets: list[int]) -> list[str]:
    names: list[str] = []
    for m in _TAG.finditer(work.text()):
        bare = m.group(1).rstrip(".。")
        name = as_written(original, offsets, m.start(1), m.start(1) + len(bare))
        if name and name not in names:
            names.append(name)
        work.take(m.start(), m.end())
    return names


def _task_ref(work: _Work) -> tuple[str | None, tuple[int, int] | None]:
    text = work.text()
    m = _KEY_REF.search(text)
    if m is not None:
        return m.group(1).upper(), m.span()
    m = _NUM_REF.search(text)
    if m is not None:
        return m.group(1), m.span()
    return None, None


def _estimate(work: _Work) -> int | None:
    text = work.text()
    m = _ZH_ESTIMATE.search(text)
    minutes: float | None = None
    if m is not None:
        if m["halfday"]:
            minutes = 240
        else:
            amount = _number(m["n"])
            unit = _ZH_UNIT.get(m["u"].lower(), "hour")
            if amount is not None:
                if m["half1"] or m["half2"]:
                    amount += 0.5
                minutes = amount * _MINUTES["day" if unit == "workday" else unit]
    else:
        m = _EN_ESTIMATE.search(text)
        if m is not None:
            amount = _number(m["n"])
            if amount is not None:
                if m["half1"] or m["half2"]:
                    amount += 0.5  # "for an hour and a half", "est 2 and a half days"
                minutes = amount * _MINUTES[_EN_UNIT.get(m["u"].lower(), "hour")]
    if m is None or minutes is None:
        return None
    work.take(m.start(), m.end())
    return round(minutes)


def _shift(work: _Work) -> Shift | None:
    text = work.text()
    m = _ZH_SHIFT.search(text) or _EN_SHIFT.search(text) or _MIX_SHIFT.search(text)
    if m is None:
        return None
    amount = _number(m["n"])
    if amount is None or amount != int(amount) or amount <= 0:
        return None
    raw = m["u"].lower()
    unit: ShiftUnit
    if "工作日" in raw or "business" in raw or "work" in raw:
        unit = "workday"
    elif raw.startswith(("分", "min")):
        unit = "minute"
    elif raw.startswith(("小时", "钟头", "h")):
        unit = "hour"
    elif raw.startswith(("周", "星期", "礼拜", "w")):
        unit = "week"
    elif raw.startswith(("月", "month")):
        unit = "month"
    else:
        unit = "day"
    verb = m["verb"].lower()
    # 提前, "bring WEB-3 forward", "pull it in", "move it up": earlier, not later
    sign = -1 if verb == "提前" or verb.endswith(("forward", " in", " up")) else 1
    work.take(m.start(), m.end())
    return Shift(amount=sign * int(amount), unit=unit)


def _priority(work: _Work) -> int | None:
    best: int | None = None
    for pattern, level in _PRIORITY_RULES:
        for m in pattern.finditer(work.text()):
            word = m.group(0).strip()
            if level == 0:
                # Many teams count from P0; both P0 and P1 are the contract's highest.
                value = max(1, int(m.group(1)))
            elif level == -1:
                raw = m["v"].lower()
                value = int(raw) if raw.isdigit() else _PRIORITY_WORDS[raw]
            elif level == -2:
                bangs = m["bang"] or m["tail"] or ""
                value = 4 - len(bangs)
            else:
                if _EN_LEVEL_WORD.match(word) and not _ONLY_MARKS.fullmatch(work.text(), m.end()) \
                        and not _leads_what_was_taken(work, m.start(), m.end()):
                    continue
                value = level
            best = value if best is None else min(best, value)
            work.take(m.start(), m.end())
    return best


def _leads_what_was_taken(work: _Work, start: int, end: int) -> bool:
    """`high @leo refactor the middleware`: a level word that opens the message and is followed
    by a mention, tag or date (already taken) is a marker; `high availability` is a word."""
    text = work.text()
    if text[:start].strip():
        return False
    nxt = end + len(text[end:]) - len(text[end:].lstrip())
    return any(work.taken[end:nxt])


def _strip_wrappers(work: _Work) -> None:
    text = work.text()
    pos = len(text) - len(text.lstrip())
    while pos < len(text):
        m = _WRAPPER.match(text, pos)
        if m is None or m.end() == pos:
            break
        work.take(m.start(), m.end())
        text = work.text()
        pos = m.end()
        pos += len(text[pos:]) - len(text[pos:].lstrip())


def _title(work: _Work, original: str, offsets: list[int]) -> str:
    """What is left, cut from the original text; removed parts become at most one space."""
    pieces: list[str] = []
    run: list[str] = []
    for i, taken in enumerate(work.taken):
        if taken:
            if run:
                pieces.append("".join(run))
                run = []
            continue
        run.append(original[offsets[i]])
    if run:
        pieces.append("".join(run))
    out = ""
    for piece in pieces:
        piece = re.sub(r"\s+", " ", piece)
        if not piece.strip():
            if out and not out.endswith(" "):
                out += " "
            continue
        if out.endswith(" "):
            left, right = out.rstrip()[-1:], piece.lstrip()[:1]
            if left and right and (has_cjk(left) or has_cjk(right)) and not piece.startswith(" "):
                out = out.rstrip()
        out += piece
    out = _EMPTY_BRACKETS.sub("", re.sub(r"\s+", " ", out))
    return out.strip(_TRIM).strip()


def _format(value: date | datetime | None, tz: tzinfo) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(tz).isoformat(timespec="seconds")
    return value.isoformat()


def _decide_intent(norm: str, task_ref: str | None, shift: Shift | None, has_due: bool,
                   has_people: bool, rest: str) -> tuple[Intent, float]:
    stripped = norm.strip()
    if _QUESTION_END.search(stripped) and _QUESTION_WORD.search(stripped) \
            and not _REQUEST_LEAD.search(stripped):
        if task_ref is not None or _QUERY_TOPIC.search(stripped) or \
                _QUERY_LEAD.search(stripped) or _QUERY_ANY.search(stripped):
            return "query", 0.75
        # `Can we do next Friday?`, `Is the demo on Friday?`: a question, but not about the
        # team's tasks and not a request; its dates are still given
        return "unknown", 0.4
    if task_ref is not None and _DONT.search(norm):
        # `don't mark WEB-3 done`, `WEB-1 先别推迟`, `if WEB-4 slips`: nothing to change
        return "unknown", 0.85
    if task_ref is not None:
        if shift is not None or (_POSTPONE.search(norm) and has_due):
            return "postpone", 0.9
        if _REASSIGN.search(norm) or (has_people and _REASSIGN_WITH_PERSON.search(norm)):
            return "reassign", 0.9
        if _NOT_DONE.search(norm):
            return "unknown", 0.85  # `WEB-1 还没完成`, `WEB-2 is not done yet`
        if _COMPLETE.search(norm) or _COMPLETE_VERB.search(norm):
            return "complete", 0.9
        if not _WORDY.search(rest):
            # Only a key and a person (`WEB-12 @王芳`) or a key and a date (`WEB-12 周五`).
            if has_people:
                return "reassign", 0.7
            if has_due:
                return "postpone", 0.7
    if shift is not None:
        return "postpone", 0.7
    # `帮我看看本周的任务`, `can you list my tasks for today, please?`: a polite lead first
    bare = _REQUEST_LEAD.sub("", stripped, count=1).lstrip(" ,，:：")
    if _QUERY_LEAD.search(bare) or _QUERY_ANY.search(stripped):
        return "query", 0.85
    if _WEAK_QUERY_LEAD.search(bare) and (_QUESTION_END.search(stripped) or (
            _QUERY_TOPIC.search(stripped) and (not has_due or _WORK_ITEMS.search(stripped)))):
        # `show my tasks due this week` asks; `list all open invoices by Friday` and
        # `看看装修进度 周六上午10点` are work with a deadline
        return "query", 0.8
    if _QUESTION_END.search(stripped) and _QUERY_TOPIC.search(stripped) \
            and not _REQUEST_LEAD.search(stripped):
        return "query", 0.6
    if task_ref is None and not has_people and \
            _MY_TASKS.fullmatch(_SHOW_ME_TAIL.sub("", rest).strip()):
        # `今天的 todo list 给我看看`, `逾期的任务列一下`, `这周我负责的任务`: nothing but work
        # items, perhaps with a request to be shown them
        return "query", 0.7
    if _COMPLETE_TAIL.search(stripped) and not has_due and not _NOT_DONE.search(stripped):
        return "complete", 0.65
    return "create", 0.6


def parse(text: str, now: datetime, tz: tzinfo | None = None,
          calendar: WorkCalendar | None = None, workday_end: time = time(18, 0)) -> ParseResult:
    """Parse one message with the rules; see `core.nlp.parse_message` for the public contract."""
    zone = tz or now.tzinfo or UTC
    local_now = now.astimezone(zone) if now.tzinfo is not None else now.replace(tzinfo=zone)
    calendar = calendar or WeekdayCalendar()
    original = text[:MAX_CHARS]
    norm, offsets = normalize(original)
    lang = "zh" if has_cjk(norm) else "en"
    if not norm.strip():
        return ParseResult(intent="unknown", lang=lang, confidence=1.0)
    if _GREETING.match(norm):
        # `morning`, `早`: a greeting asks for nothing, though read as a time it still says when
        # (the contract's `morning` alone is 09:00)
        greeting = find_times(norm, local_now, calendar, workday_end, prefer_zh=lang == "zh")
        return ParseResult(intent="unknown", lang=lang, confidence=0.9,
                           due=_format(greeting.due, zone), start=_format(greeting.start, zone))

    work = _Work.of(norm)
    for link in _URL.finditer(norm):
        work.mask(*link.span())
    assignees = _mentions(work, local_now, calendar, original, offsets)
    tags = _tags(work, original, offsets)
    ref, ref_span = _task_ref(work)
    if ref_span is not None:
        # Hidden, not removed, until the intent says whether the key is the subject or a word.
        work.mask(*ref_span)
    estimate = _estimate(work)
    shift = _shift(work)
    searched = work.text()
    times = find_times(searched, local_now, calendar, workday_end, prefer_zh=lang == "zh")
    used = {id(span) for span in times.used}
    for span, passing in zip(times.spans, named_in_passing(searched, times.spans), strict=True):
        if id(span) in used or not passing:
            work.take(span.start, span.end)
    # After the dates are gone, a trailing `high`/`low` is visibly a marker, not a word.
    priority = _priority(work)

    intent, confidence = _decide_intent(norm, ref, shift, times.due is not None,
                                        bool(assignees), work.text())
    if ref_span is not None:
        if intent == "create":
            # A create message may mention an issue key as part of its title: give it back.
            work.give_back(*ref_span)
            ref = None
        else:
            work.take(*ref_span)
    if (intent in {"complete", "reassign", "postpone"} and ref is not None) or \
            intent in {"query", "unknown"}:
        title = ""
    else:
        _strip_wrappers(work)
        if intent in {"complete", "reassign", "postpone"}:
            _blank_intent_words(work)
        title = _title(work, original, offsets)

    if intent == "create" and not _WORDY.search(title) and not assignees and times.due is None \
            and times.start is None and estimate is None:
        intent, title = "unknown", ""
        confidence = 0.3
    confidence = _confidence(intent, confidence, title, times.due is not None, bool(assignees))
    return ParseResult(
        intent=intent,
        title=title,
        assignees=assignees,
        # A question's dates filter the answer; they are not the task's dates.
        due=None if intent == "query" else _format(times.due, zone),
        start=None if intent == "query" else _format(times.start, zone),
        priority=priority,
        project=tags[0] if tags else None,
        tags=tags[1:],
        estimate_minutes=estimate,
        recurrence=times.recurrence,
        task_ref=ref if intent in {"complete", "reassign", "postpone"} else None,
        shift=shift if intent == "postpone" else None,
        lang=lang,
        source="rules",
        confidence=confidence,
    )


def _blank_intent_words(work: _Work) -> None:
    text = work.text()
    for pattern in (_COMPLETE, _REASSIGN, _POSTPONE):
        for m in pattern.finditer(text):
            work.take(m.start(), m.end())
        text = work.text()


def _confidence(intent: Intent, base: float, title: str, has_due: bool, has_people: bool) -> float:
    """A rough self-estimate: clear intent, a real title and a resolved date raise it."""
    if intent != "create":
        return round(base, 2)
    score = base
    if len(title) >= 2:
        score += 0.15
    else:
        score -= 0.2
    if has_due:
        score += 0.1
    if has_people:
        score += 0.05
    if _DATEISH.search(title):
        # Leftover date words mean part of a date was not understood.
        score -= 0.35
    return round(min(max(score, 0.05), 0.95), 2)


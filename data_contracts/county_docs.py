"""docs/county-data.md: the page for county data staff (in Chinese), generated from the feed contracts and the
declared headers (header_aliases/*.yaml), so what it says is what ingest understands."""

from __future__ import annotations

from data_contracts.feeds import FEEDS, Feed
from data_contracts.headers import COUNTY_FILE_NAMES, builtin_declarations, declared_headers
from data_contracts.normalize import EXCEL_SERIAL_RANGE
from data_contracts.table_layout import HEADER_SEARCH_ROWS, MALFORMED_RULE

LOW, HIGH = (d.year for d in EXCEL_SERIAL_RANGE)

INTRO = """# 县级数据导入说明

<!-- 由 `shouhu contracts-doc` 根据 data_contracts/models.py 和 data_contracts/header_aliases/*.yaml 生成，
     请勿手工修改；tests/data_contracts/test_county_page.py 检查本页与程序一致。 -->

本页写给县民政局负责导出和整理数据的同志：要从哪些系统导出哪些表、文件怎么放、哪些表头能直接识别、
本县表头不一样时怎么加一份对照表，以及导入结果怎么看。各表每一列的含义和取值见
[数据表字段说明（contracts.md）](contracts.md)。

## 一、要导出哪些表

把下列各表导出后放进同一个文件夹，然后运行 `uv run shouhu ingest 文件夹`。
文件名以数据表名开头（如 `visit_logs_2024q3.csv`），或含该表的中文名（如 `2024年三季度走访记录.xlsx`）。

| 数据表 | 中文名（文件名、工作表名可用） | 从哪里导出 |
|---|---|---|
"""

FILES = f"""## 二、文件怎么准备

- **格式**：CSV（UTF-8、带 BOM 的 UTF-8 或 GBK/GB18030 编码均可，逗号或制表符分隔）、Excel 工作簿（.xlsx）、
  Parquet。
- **表头**：表头可以用上表列出的任何一种写法（见第三部分），也可以直接用字段名；全角、半角、空格、`*` 号
  不影响识别，表头后面括号里的说明（如「出生日期（年-月-日）」）可以保留。
- **标题行**：表头上方的标题（如「XX镇留守儿童花名册」）、说明和空行会自动跳过；表头必须在前
  {HEADER_SEARCH_ROWS} 行之内。中间重复出现的表头行（几页拼在一起时）和空行也会跳过，并单独计数。
- **一个工作簿多张表**：每张工作表分别读取。工作表名写上数据表的中文名（如「走访记录」「家庭成员」），
  就按名字归到对应的表；文件名已写明是哪张表时，其余含该表表头的工作表也一并读取，封面、说明页会跳过并在
  结果中列出。
- **日期**：`2024-02-10`、`2024/2/10`、`20240210`、`2024年2月10日` 都可以，可带时间；Excel 日期单元格，以及
  被存成数字的 Excel 日期（如 `45082`，{LOW} 年至 {HIGH} 年之间）也能读取。
- **是/否**：`是`/`否`、`true`/`false`、`1`/`0` 均可。代码字段可填代码或标准中文名称（见 contracts.md）。
- **身份证号请设为文本格式**：Excel 的数字单元格只保留 15 位有效数字，18 位身份证号存成数字后末几位已经丢失，
  这样的行会被隔离，请把该列设为文本后重新导出。
- **坏行只影响这一行**：某一行多了逗号、引号不成对或含有异常字符时，这一行以 `{MALFORMED_RULE}` 记入隔离表
  （带行号和原因），其余各行照常导入。整个文件读不了（编码无法识别、同一列出现两次、缺少必需的列、
  其实是另一张表）时，会说明原因，其他文件照常导入。
"""

MAPPING = f"""## 四、本县表头不一样时：加一份表头对照

本县导出的表头如果上面没有列出，不需要改程序，也不需要改原始文件：在数据文件夹里放一个
`{COUNTY_FILE_NAMES[0]}`（也可以叫 `{COUNTY_FILE_NAMES[1]}`），或运行时用 `--headers 文件路径` 指定。
格式如下：每张表一节，节名是数据表名；`columns` 下写「字段名: 本县表头」（一个或多个）；
`not_loaded` 写不需要导入的列；`names` 写本县的文件名或工作表名。

```yaml
# 表头对照.yaml（UTF-8 编码保存）
visit_logs:
  columns:
    visit_date: 家访时间
    worker_id: [走访干部编号, 干部编号]
  not_loaded: [走访照片]
children_registry:
  names: [本县留守儿童台账]
  columns:
    child_id: 儿童代码
```

对照表的写法优先于本页的内置表头。同一个表头写给了两个字段、写了不存在的表名或字段名时，导入会停下并
用一句话说明要改哪里。

## 五、导入结果怎么看

`shouhu ingest` 先按表、再按文件列出行数，每个文件都能对上：

> 文件行数 = 表头及标题行 + 空行 + 读入的数据行；读入的数据行 = 导入 + 隔离 + 重复

同样的数字记在数据仓库的 `ingest_files` 表里（`rows_in_file`、`header_rows`、`blank_rows`、`header_row` 即表头
所在行），每次导入记在 `ingest_runs`，读不了的文件及原因记在 `ingest_errors`。被隔离的行在 `quarantine` 表，
记有文件、行号（表头下面第几行）、字段、规则和原值；姓名不写入，身份证号和电话只存哈希。没有识别的列会按
表头名列出（不导入），如果其中有合同字段，请在表头对照里补上。

**不是同一个县的数据会被拦下。** 数据仓库里已经有一个县的数据时，如果新文件夹的行政区划代码大多对不上，
或者很多记录的编号与已有记录相同而内容不同，导入会停下并说明原因，什么也不写入。这通常说明放错了文件夹：
请给这个县用单独的数据仓库（`--warehouse 文件` 或设置 `SHOUHU_WAREHOUSE`）；确实要合在一起时加
`--allow-mixed`。
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _names(feed: Feed) -> str:
    _, per_feed = builtin_declarations()
    names = [feed.title, *per_feed[feed.name].names]
    return "、".join(dict.fromkeys(names))


def feed_headers_section(feed: Feed) -> str:
    columns, left_out = declared_headers(feed)
    lines = [
        f"### `{feed.name}` {feed.title}",
        "",
        "| 字段 | 必需 | 能识别的表头 |",
        "|---|---|---|",
    ]
    for name, column in feed.schema.columns.items():
        required = (
            "是" if column.required and not column.nullable else "可空" if column.required else "可无此列"
        )
        lines.append(f"| `{name}` | {required} | {_cell('、'.join(columns[name]))} |")
    if left_out:
        lines += ["", f"不导入（识别但有意不收）：{'、'.join(left_out)}。"]
    return "\n".join(lines)


def render_county_page() -> str:
    _, per_feed = builtin_declarations()
    rows = [
        f"| `{f.name}` | {_cell(_names(f))} | {_cell(per_feed[f.name].exported_from)} |"
        for f in FEEDS.values()
    ]
    headers = [
        "## 三、能识别的表头",
        "",
        "每个字段都可以用字段名本身作表头，也可以用下面任何一种写法。「必需」为「是」的列必须有且不能为空；"
        "「可空」的列必须有、可以留空；「可无此列」的列可以整列没有。",
        "",
        *[feed_headers_section(f) + "\n" for f in FEEDS.values()],
    ]
    parts = [INTRO + "\n".join(rows) + "\n", FILES, "\n".join(headers).rstrip() + "\n", MAPPING]
    return "\n".join(parts)

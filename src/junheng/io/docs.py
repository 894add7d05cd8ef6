"""Generate the data-format reference page (docs/data-format.md) from the field registry.

Run ``python -m junheng.io.docs > docs/data-format.md``; a test fails when the committed page
and the registry disagree, so the page can never drift from what import actually accepts.
"""

from __future__ import annotations

from junheng.domain.fields import registry

SCOPES = {"school_year": "按学年 (每学年一份)", "history": "历史序列 (导出某学年时包含此前各年)",
          "none": "不分年份"}

WRITERS = {"city": "仅市级管理员",
           "county": "市级管理员；区县管理员（仅本区县的记录）",
           "school": "市级管理员；区县管理员（仅本区县的记录）；学校填报员（仅本校的记录）"}


def render() -> str:
    reg = registry()
    lines = [
        "# 数据交换格式 (第1版) / Exchange format v1",
        "",
        "本页由字段登记表 `src/junheng/domain/data/format-v1.yaml` 自动生成，请勿手工修改。",
        "This page is generated from the field registry; do not edit by hand.",
        "",
        "- 一个数据集是一个 Excel 工作簿（每张表一个工作表，工作表名为表代码），"
        "或一个 CSV 文件夹（每张表一个 `<表代码>.csv`，UTF-8；GBK 也可读取）。",
        "- 表头可用列代码或中文列名；模板的第1行为列代码、第2行为中文列名。",
        "- 空白单元格表示“未报告”，不会当作0。是/否列可填 是/否、true/false、1/0。",
        "- 比率填小数（0.95），大于1即为错误。金额单位为元，面积为平方米，坐标为 WGS84 十进制度。",
        "- 重复导入时，按“替换依据”列的取值替换已有记录，其余记录保持不变。",
        "- 导出文件（工作簿和 CSV）中以 = + - @ 开头的文本前加一个英文单引号（'），以免在 Excel "
        "中被当作公式执行；导入时去掉这个单引号，内容与导出前完全相同（本来就以单引号加这些符号"
        "开头的文本，导出时再加一个单引号）。",
        "- 区县管理员、学校填报员只能导入本区县、本校的记录：新记录和被替换的已有记录都必须属于"
        "本区县（本校），否则整个文件不导入。跨区县的记录（如跨区县转学）由市级管理员导入。",
        "- 数值必须是有限的数（NaN、inf、1e400 均为错误），且在下表所列范围内。",
        "",
        "### 读取上限 / Read limits",
        "",
        "超过任一上限的文件会被立即拒绝（不会部分导入）。",
        "Files beyond any limit are refused at once (never partly imported).",
        "",
        "| 上限 limit | 值 value |",
        "|---|---|",
        *[f"| `{k}` | {v:,} |" for k, v in vars(reg.limits).items()],
        "",
    ]
    for table in reg.tables:
        lines.append(f"## {table.id} — {table.label} / {table.label_en}")
        lines.append("")
        facts = [f"年份范围：{SCOPES[table.year_scope]}"]
        facts.append("唯一键：" + (", ".join(f"`{k}`" for k in table.key) or "无"))
        facts.append("替换依据：" + ", ".join(f"`{k}`" for k in table.replace_by))
        facts.append("可选表" if table.optional else "必需表（工作簿中必须有此工作表）")
        facts.append("可导入：" + WRITERS[table.owner.level if table.owner else "city"])
        if table.personal:
            facts.append("含个人信息：按角色脱敏，访问记入审计日志")
        lines.append("；".join(facts))
        lines.append("")
        if table.checks:
            labels = {c.id: c.label for c in table.columns}
            lines.append("行内规则（两项都填写时检查）/ Rules within a row: "
                         + "；".join(f"{ch.describe_zh(labels)}（`{ch.describe_en()}`）"
                                    for ch in table.checks))
            lines.append("")
        lines.append("| 列代码 id | 中文列名 label | 类型与要求 | 引用 |")
        lines.append("|---|---|---|---|")
        for col in table.columns:
            ref = f"`{col.ref[0]}.{col.ref[1]}`" if col.ref else ""
            desc = col.describe_zh().replace("|", "/")
            if col.personal:
                desc += "，个人信息"
            if col.check == "resident_id":
                desc += "，18位身份证号，校验码按 GB 11643 检查"
            if col.check == "geojson_polygon":
                desc += ("，GeoJSON 的 Polygon 或 MultiPolygon（WGS84 经纬度，闭合环），"
                         "如 `{\"type\":\"Polygon\",\"coordinates\":[[[100.45,38.93],"
                         "[100.46,38.93],[100.46,38.94],[100.45,38.93]]]}`；"
                         "有边界时片区地图画出边界，否则画中心点")
            lines.append(f"| `{col.id}` | {col.label} | {desc} | {ref} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render())

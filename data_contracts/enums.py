"""Controlled vocabularies of the feeds: stable English codes mapped to the official Chinese terms.

Sources: `shared/DOMAIN.md` §1.2, §1.4, §1.6 and §2 (F1–F10). Feeds may carry either the code or the Chinese
term; ingest maps the Chinese term (and a few common variants) to the code.
"""

from __future__ import annotations

Vocabulary = dict[str, str]  # code -> 中文

SEX: Vocabulary = {"M": "男", "F": "女"}

LBC_TYPE: Vocabulary = {  # 留守类型 (§0: store the facts, derive the narrow/broad flags)
    "both_away": "父母双方外出",
    "one_away_other_incapable": "一方外出另一方无监护能力",
    "one_away_other_home": "一方外出另一方在家（广义）",
    "not_lbc": "非留守",
}

KUNJING_TYPE: Vocabulary = {  # 困境儿童类别 (国发〔2016〕36号 and local lists)
    "orphan": "孤儿",
    "de_facto_unattended": "事实无人抚养",
    "poverty_dibao": "低保家庭",
    "tekun": "特困",
    "severe_disability": "重残",
    "severe_illness": "重病",
    "guardianship_deficit": "监护缺失/不当",
    "parent_incarcerated": "服刑人员子女",
    "parent_drug_rehab": "戒毒人员子女",
    "hiv_affected": "受艾滋病影响",
    "street_child": "流浪",
    "violence_victim": "受暴力侵害",
    "temporary": "临时困境",
}

ETHNICITY: Vocabulary = {  # 民族 (GB/T 3304: two-digit codes; county exports often carry the name)
    "01": "汉族",
    "02": "蒙古族",
    "03": "回族",
    "04": "藏族",
    "05": "维吾尔族",
    "06": "苗族",
    "07": "彝族",
    "08": "壮族",
    "09": "布依族",
    "10": "朝鲜族",
    "11": "满族",
    "12": "侗族",
    "13": "瑶族",
    "14": "白族",
    "15": "土家族",
    "16": "哈尼族",
    "17": "哈萨克族",
    "18": "傣族",
    "19": "黎族",
    "20": "傈僳族",
    "21": "佤族",
    "22": "畲族",
    "23": "高山族",
    "24": "拉祜族",
    "25": "水族",
    "26": "东乡族",
    "27": "纳西族",
    "28": "景颇族",
    "29": "柯尔克孜族",
    "30": "土族",
    "31": "达斡尔族",
    "32": "仫佬族",
    "33": "羌族",
    "34": "布朗族",
    "35": "撒拉族",
    "36": "毛南族",
    "37": "仡佬族",
    "38": "锡伯族",
    "39": "阿昌族",
    "40": "普米族",
    "41": "塔吉克族",
    "42": "怒族",
    "43": "乌孜别克族",
    "44": "俄罗斯族",
    "45": "鄂温克族",
    "46": "德昂族",
    "47": "保安族",
    "48": "裕固族",
    "49": "京族",
    "50": "塔塔尔族",
    "51": "独龙族",
    "52": "鄂伦春族",
    "53": "赫哲族",
    "54": "门巴族",
    "55": "珞巴族",
    "56": "基诺族",
    "97": "其他未识别民族",
    "98": "外国血统中国籍人士",
}

CHILD_HEALTH: Vocabulary = {"healthy": "健康", "disabled": "残疾", "ill": "患病"}

DISABILITY_CATEGORY: Vocabulary = {  # GB/T 26341
    "visual": "视力残疾",
    "hearing": "听力残疾",
    "speech": "言语残疾",
    "physical": "肢体残疾",
    "intellectual": "智力残疾",
    "mental": "精神残疾",
    "multiple": "多重残疾",
}

ILLNESS_TYPE: Vocabulary = {
    "none": "无",
    "major_disease": "重特大疾病",
    "severe_mental_disorder": "严重精神障碍",
    "chronic": "慢性病",
    "other": "其他",
}

SCHOOLING_STATUS: Vocabulary = {  # 就学情况 (2016 form)
    "preschool_not_enrolled": "未入园",
    "kindergarten": "幼儿园",
    "primary": "小学",
    "junior": "初中",
    "senior_high": "高中",
    "vocational": "中职",
    "dropout_compulsory": "辍学",
    "not_in_school_14_16": "不在学",
}

GUARDIANSHIP_TYPE: Vocabulary = {  # 实际监护类型 (2016 摸排 categories, §1.2)
    "grandparents": "祖父母/外祖父母监护",
    "other_relatives": "亲戚朋友监护",
    "non_relative_entrusted": "委托非亲属监护",
    "one_parent_home_capable": "一方在家监护（广义）",
    "one_parent_home_incapable": "一方外出、另一方无监护能力",
    "self_or_siblings": "自我或兄弟姐妹照料",
    "unsupervised": "无人监护",
}

ASSESSMENT: Vocabulary = {"good": "较好", "fair": "一般", "poor": "差"}  # 监护情况评估

INCOME_SOURCE: Vocabulary = {
    "migrant_work": "打工收入",
    "farming_livestock": "种养殖业",
    "govt_assistance": "政府救助",
    "relatives_support": "亲朋接济",
    "other": "其他",
}

ASSISTANCE_FLAG: Vocabulary = {
    "dibao": "享受低保",
    "temporary": "临时救助",
    "medical": "医疗救助",
    "housing": "住房救助",
    "other": "其他救助",
}

REGISTRY_STATUS: Vocabulary = {"active": "在册", "exited": "退出"}

EXIT_REASON: Vocabulary = {
    "parents_returned": "父母返乡",
    "migrated_with_parents": "随父母迁出",
    "aged_out": "年满16周岁",
    "moved_away": "迁出本地",
    "deceased": "死亡",
    "other": "其他",
}

MARITAL_STATUS: Vocabulary = {
    "married": "已婚",
    "divorced": "离异",
    "widowed": "丧偶",
    "separated": "分居",
    "unknown": "不详",
}

RELATION: Vocabulary = {
    "father": "父亲",
    "mother": "母亲",
    "paternal_grandfather": "祖父",
    "paternal_grandmother": "祖母",
    "maternal_grandfather": "外祖父",
    "maternal_grandmother": "外祖母",
    "adult_sibling": "成年兄姐",
    "other_relative": "其他亲属",
    "non_relative": "非亲属",
}

EDUCATION: Vocabulary = {
    "none": "未上学",
    "primary": "小学",
    "junior": "初中",
    "senior": "高中/中专",
    "college_plus": "大专及以上",
}

PERSON_HEALTH: Vocabulary = {
    "good": "良好",
    "chronic_illness": "慢性病",
    "severe_illness": "重病",
    "disabled": "残疾",
    "unknown": "不详",
}

CAPACITY: Vocabulary = {"capable": "有监护能力", "limited": "监护能力不足", "incapable": "无监护能力"}

INCAPACITY_REASON: Vocabulary = {
    "severe_illness": "重病",
    "severe_disability": "重残",
    "incarcerated": "服刑在押",
    "drug_rehab": "强制隔离戒毒",
    "missing": "失踪",
    "deceased": "死亡",
    "other": "其他",
}

SECTOR: Vocabulary = {
    "manufacturing": "制造业",
    "construction": "建筑业",
    "services": "服务业",
    "transport": "交通运输",
    "other": "其他",
}

EXPECTED_RETURN: Vocabulary = {
    "spring_festival": "春节返乡",
    "harvest": "农忙返乡",
    "unknown": "不确定",
    "not_planned": "暂无返乡计划",
}

CONTACT_CHANNEL: Vocabulary = {
    "voice_call": "电话",
    "video_call": "视频",
    "text_msg": "文字消息",
    "parent_home_visit": "父母回家",
    "child_visits_parent": "儿童探望父母",
}

INITIATED_BY: Vocabulary = {"parent": "父母", "child": "儿童", "carer": "照料人", "worker": "工作人员"}

CONTACT_SOURCE: Vocabulary = {
    "visit_self_report": "走访自述",
    "school": "学校",
    "app_log": "应用记录",
    "carer_report": "照料人报告",
}

WORKER_ROLE: Vocabulary = {
    "children_director": "儿童主任",
    "supervisor": "儿童督导员",
    "social_worker": "社工",
    "teacher": "教师",
    "police": "民警",
    "volunteer": "志愿者",
}

VISIT_TYPE: Vocabulary = {
    "routine": "常规走访",
    "follow_up": "跟进走访",
    "escalation": "紧急走访",
    "holiday_safety_sweep": "假期安全排查",
    "new_registration": "新登记",
    "reassessment": "重新评估",
}

VISIT_MODE: Vocabulary = {"home": "入户", "phone": "电话", "video": "视频", "school": "到校"}

HAZARD: Vocabulary = {
    "open_water_nearby": "临近水域",
    "unsafe_housing": "危房",
    "electrical": "用电隐患",
    "fire": "用火隐患",
    "traffic": "交通隐患",
    "dogs": "犬只",
    "pesticides": "农药",
}

MOOD: Vocabulary = {
    "normal": "正常",
    "low": "低落",
    "anxious": "焦虑",
    "withdrawn": "退缩",
    "agitated": "烦躁",
}

NEED: Vocabulary = {
    "economic": "经济",
    "medical": "医疗",
    "psychological": "心理",
    "education": "教育",
    "legal": "法律",
    "guardianship": "监护",
}

REFERRAL: Vocabulary = {
    "civil_affairs": "民政",
    "education": "教育",
    "police": "公安",
    "health": "卫生",
    "womens_fed": "妇联",
    "disabled_fed": "残联",
    "social_work": "社工",
}

ATTENDANCE_STATUS: Vocabulary = {
    "present": "出勤",
    "absent_excused": "请假",
    "absent_unexcused": "无故缺勤",
    "late": "迟到",
    "left_early": "早退",
    "holiday": "假期",
}

SCHOOL_EVENT: Vocabulary = {
    "enrol": "入学",
    "transfer_in": "转入",
    "transfer_out": "转出",
    "suspend": "休学",
    "dropout_flag": "辍学预警",
    "return_to_school": "复学",
    "boarding_start": "开始寄宿",
    "boarding_end": "结束寄宿",
    "grade_repeat": "留级",
    "mental_health_screening": "心理筛查",
    "teacher_concern": "教师关注",
}

SCREENING_INSTRUMENT: Vocabulary = {
    k: k for k in ("PHQ9", "GAD7", "CDI", "CES_DC", "DSRSC", "SDQ", "MHT", "SCL90")
}

TEACHER_CONCERN: Vocabulary = {
    "mood": "情绪",
    "behaviour": "行为",
    "bullying_victim": "被欺凌",
    "bullying_perpetrator": "欺凌他人",
    "injury": "伤痕",
    "hygiene": "卫生",
    "absenteeism": "缺勤",
}

INCIDENT_TYPE: Vocabulary = {  # what happened, for labels by type
    "injury": "意外伤害",
    "drowning": "溺水",
    "unsupervised": "无人照料/独居",
    "neglect": "疏忽照料",
    "abuse": "疑似暴力/虐待",
    "sexual_abuse": "疑似性侵害",
    "self_harm": "自伤/自杀",
    "missing": "失踪",
    "dropout": "辍学",
    "other": "其他",
}

REPORTER_TYPE: Vocabulary = {
    "school": "学校",
    "kindergarten": "幼儿园",
    "medical": "医疗机构",
    "village_committee": "村(居)委会",
    "social_work_org": "社工机构",
    "relief_station": "救助管理机构",
    "welfare_institution": "福利机构",
    "hotel": "旅店宾馆",
    "police_patrol": "公安巡查",
    "family": "家属",
    "public": "群众",
    "self": "本人",
}

TRIGGER_2016: Vocabulary = {  # 国发〔2016〕13号 强制报告情形
    "living_alone_or_missing": "脱离监护单独居住生活或失踪",
    "guardian_incapable_or_not_performing": "监护人丧失监护能力或不履行监护责任",
    "suspected_domestic_violence": "疑似遭受家庭暴力",
    "suspected_accident_or_crime": "疑似遭受意外伤害或不法侵害",
}

TRIGGER_2020: Vocabulary = {  # 高检发〔2020〕9号 九类情形 (paraphrased, DOMAIN §1.6 B)
    "genital_injury": "生殖器官或隐私部位非正常损伤",
    "under14_sexual_abuse_pregnancy_abortion": "不满十四周岁女性遭受性侵害、怀孕、流产",
    "over14_assault_pregnancy": "十四周岁以上女性遭受性侵害所致怀孕、流产",
    "multiple_injury_malnutrition_abuse": "多处损伤、严重营养不良、疑似家暴虐待",
    "selfharm_suicide_poisoning_injury_death": "自杀、自残、中毒等致伤残死亡",
    "abandoned_or_long_unattended": "被遗弃或长期处于无人照料状态",
    "trafficking_missing": "来源不明、失踪或被拐卖",
    "organised_begging": "被组织乞讨",
    "other_imminent_danger": "其他严重侵害或面临危险",
}

INJURY_MECHANISM: Vocabulary = {
    "drowning": "溺水",
    "fall": "跌落",
    "burn": "烧烫伤",
    "traffic": "交通事故",
    "animal_bite": "动物咬伤",
    "mechanical": "机械伤",
    "poisoning": "中毒",
    "sharp": "锐器伤",
    "suffocation": "窒息",
    "other": "其他",
}

SEVERITY: Vocabulary = {
    "minor": "轻微",
    "medical_visit": "就医",
    "hospitalised": "住院",
    "disability": "致残",
    "fatal": "死亡",
}

LOCATION: Vocabulary = {
    "home": "家中",
    "school": "学校",
    "road": "道路",
    "open_water": "水域",
    "farm": "农田",
    "other": "其他",
}

DISPOSITION: Vocabulary = {
    "parents_ordered_return": "责令父母返回",
    "entrusted_relative": "委托亲属监护",
    "temp_custody_relative": "临时监护（亲属）",
    "temp_custody_village": "临时监护（村委会）",
    "temp_custody_relief_station": "临时监护（救助机构）",
    "missing_search": "失踪查找",
    "dv_stopped_shelter": "制止家暴并安置",
    "none": "无",
}

VERIFIED: Vocabulary = {"substantiated": "属实", "unsubstantiated": "不属实", "pending": "核实中"}

PROGRAM: Vocabulary = {
    "dibao": "低保",
    "tekun": "特困供养",
    "orphan_allowance": "孤儿基本生活费",
    "de_facto_unattended_allowance": "事实无人抚养儿童补贴",
    "temporary_assistance": "临时救助",
    "medical_assistance": "医疗救助",
    "disability_subsidies": "残疾人两项补贴",
    "child_rehab_assistance": "残疾儿童康复救助",
    "education_aid": "教育资助/营养餐",
    "housing": "住房救助",
}

BENEFIT_STATUS: Vocabulary = {
    "applied": "已申请",
    "approved": "已批准",
    "active": "享受中",
    "suspended": "暂停",
    "terminated": "终止",
    "rejected": "未通过",
}

CASE_TRIGGER: Vocabulary = {
    "incident": "事件",
    "visit": "走访",
    "school": "学校",
    "screening": "筛查",
    "data_match": "数据比对",
    "hotline": "热线",
}

RISK_LEVEL: Vocabulary = {"red": "红", "orange": "橙", "yellow": "黄", "green": "绿"}

SERVICE: Vocabulary = {
    "guardianship_guidance": "监护指导",
    "medical_treatment": "医疗救治",
    "psych_counselling": "心理疏导",
    "behaviour_correction": "行为矫治",
    "legal_service": "法律服务",
    "legal_aid": "法律援助",
    "social_assistance_enrolment": "社会救助",
    "temporary_custody": "临时监护",
    "school_reintegration": "复学帮扶",
}

INTERVENTION: Vocabulary = {
    "none": "无",
    "admonition": "训诫",
    "public_security_penalty": "治安处罚",
    "criminal_case": "刑事立案",
    "petition_revoke_guardianship": "申请撤销监护资格",
    "guardianship_revoked": "已撤销监护资格",
}

CASE_OUTCOME: Vocabulary = {
    "resolved": "已解决",
    "improved": "好转",
    "unchanged": "无变化",
    "deteriorated": "恶化",
    "transferred": "转介",
}

ADMIN_LEVEL: Vocabulary = {
    "province": "省",
    "city": "市",
    "county": "县",
    "township": "乡镇",
    "village": "村",
}

URBAN_RURAL: Vocabulary = {"urban": "城镇", "rural": "乡村"}

REGION: Vocabulary = {"east": "东部", "central": "中部", "west": "西部", "northeast": "东北"}

SCHOOL_LEVEL: Vocabulary = {
    "kindergarten": "幼儿园",
    "primary": "小学",
    "junior": "初中",
    "nine_year": "九年一贯制",
    "senior_high": "高中",
    "vocational": "中职",
}

HOLIDAY_TYPE: Vocabulary = {
    "summer": "暑假",
    "winter": "寒假",
    "national_holiday": "法定节假日",
    "weekend": "周末",
}

SOURCE_SYSTEM: Vocabulary = {
    "mca_lbc_system": "全国农村留守儿童和困境儿童信息管理系统",
    "village_visit_app": "走访记录",
    "school_xueji": "学籍系统",
    "police": "公安",
    "dibao_system": "低保系统",
    "child_welfare_system": "儿童福利系统",
    "disabled_fed_system": "残联系统",
    "edu_aid": "教育资助系统",
    "hospital": "医疗机构",
    "reference": "参考数据",
}

DATA_QUALITY: Vocabulary = {  # 数据质量标记 (§2 design principles: every feed carries one; codes are [D])
    "incomplete": "信息不全",
    "backfilled": "补录",
    "unverified": "待核实",
    "corrected": "已更正",
    "estimated_date": "日期为估计",
}

"""English names of the words the platform ships with (the default service catalogue, the
resident tags, skills and interests): shown in the English UI in place of the stored Chinese.
A name a locality typed or changed is its own data and is shown as typed, in either language.
(The gettext catalogue cannot hold these: its message ids are the English texts.)"""

from django.utils.translation import get_language

ENGLISH: dict[str, str] = {
    # service categories (servicedesk/catalogue/defaults.py)
    "困难帮扶": "Hardship aid",
    "纠纷调解": "Dispute mediation",
    "法律咨询": "Legal advice",
    "党代表接访": "Meeting a party representative",
    "党员教育培训": "Party member education",
    "党组织关系接转": "Transfer of party membership",
    "文体娱乐": "Culture and sports",
    "职业介绍": "Job referral",
    "法律援助": "Legal aid",
    "社会救助": "Social assistance",
    "科普讲座": "Science talks",
    "家政服务": "Home services",
    "医疗义诊": "Free clinic",
    "就业帮扶": "Employment support",
    "综治调解": "Community mediation",
    "卫生保洁": "Sanitation",
    "社会治安": "Public safety",
    # resident tags
    "独居老人": "Elderly living alone",
    "空巢老人": "Empty-nest elderly",
    "困难群众": "Residents in hardship",
    "低保户": "Minimum living allowance",
    "残疾人": "Person with a disability",
    "退役军人": "Veteran",
    "留守儿童": "Left-behind child",
    # skills (法律咨询 and 纠纷调解 are above)
    "医疗保健": "Health care",
    "心理疏导": "Counselling",
    "教育辅导": "Tutoring",
    "家电维修": "Appliance repair",
    "文艺表演": "Performing arts",
    "书法绘画": "Calligraphy and painting",
    "计算机": "Computers",
    "财务会计": "Accounting",
    "就业指导": "Career guidance",
    "理发": "Haircuts",
    # interests
    "摄影": "Photography",
    "广场舞": "Square dancing",
    "太极拳": "Tai chi",
    "合唱": "Choir",
    "阅读": "Reading",
    "志愿服务": "Volunteering",
}


def shown(name: str) -> str:
    """``name`` as the current language shows it."""
    if (get_language() or "").startswith("en"):
        return ENGLISH.get(name, name)
    return name

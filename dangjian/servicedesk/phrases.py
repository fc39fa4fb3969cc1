"""The desk's quick phrases (常用语): 诉求内容 per service and 办结说明, with the worker's own recent
texts read from the requests they recorded and the results they reported."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.core.access import VIEW, restrict
from dangjian.core.actors import Actor
from dangjian.phrases.registry import PhraseField, Variant, register_phrase_field
from dangjian.servicedesk.models import RequestStep, ServiceCategory, ServiceRequest

DESCRIPTION = "servicedesk.description"
RESULT = "servicedesk.result"
RECENT_DAYS = 90
RECENT_READ = 60  # texts read back to find five short distinct ones

# The built-in phrases of the default catalogue's services (servicedesk/catalogue/defaults.py).
DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "hardship-aid": (
        "生活困难，申请临时救助",
        "家中老人无人照料，需要帮助",
        "因病致贫，医疗费用负担重",
        "失业在家，生活来源困难",
    ),
    "dispute-mediation": (
        "邻里因噪音发生纠纷",
        "楼上漏水，与邻居协商不成",
        "物业费纠纷，请求调解",
        "家庭矛盾，请求调解",
    ),
    "legal-advice": ("咨询劳动合同纠纷", "咨询房屋租赁问题", "咨询婚姻家庭问题", "咨询遗产继承问题"),
    "deputy-reception": ("向党代表反映小区问题", "对社区工作提出建议"),
    "member-education": ("咨询学习教育安排", "申请参加党员培训"),
    "membership-transfer": ("咨询组织关系转入手续", "咨询组织关系转出手续", "流动党员报到"),
    "culture-sports": ("希望组织文体活动", "申请使用活动室"),
    "job-referral": ("求职登记，希望推荐工作", "咨询技能培训", "咨询灵活就业社保补贴"),
    "legal-aid": ("申请法律援助", "经济困难，请求代写诉状"),
    "social-assistance": ("咨询低保申请", "咨询临时救助", "咨询残疾人补贴"),
    "science-talks": ("希望开展健康讲座", "希望开展防诈骗讲座"),
    "home-services": ("家电维修", "独居老人家中需要保洁", "下水道堵塞需要疏通", "需要上门理发"),
    "free-clinic": ("老人需要测血压血糖", "希望上门义诊"),
    "employment-support": ("就业困难，请求帮扶", "咨询公益性岗位"),
    "public-order-mediation": ("楼道堆放杂物，存在安全隐患", "小区停车纠纷"),
    "sanitation": ("楼道垃圾无人清理", "小区垃圾桶满溢", "绿化带有积存垃圾"),
    "public-safety": ("小区路灯损坏", "电动车楼道充电", "可疑人员出入小区"),
}
RESULTS = (
    "已上门核实，问题已解决",
    "已电话回复，居民表示满意",
    "已协调相关部门处理完毕",
    "已调解，双方达成一致",
    "已提供政策咨询，告知办理流程",
    "已转交专业机构跟进，办结",
)
ENGLISH = {
    "生活困难，申请临时救助": "Hardship: applies for temporary relief",
    "家中老人无人照料，需要帮助": "An elderly person at home has no one to care for them",
    "因病致贫，医疗费用负担重": "Illness has caused hardship; heavy medical costs",
    "失业在家，生活来源困难": "Unemployed, no income to live on",
    "邻里因噪音发生纠纷": "A dispute between neighbours over noise",
    "楼上漏水，与邻居协商不成": "Water leaking from upstairs; the neighbours could not agree",
    "物业费纠纷，请求调解": "A dispute over property fees; asks for mediation",
    "家庭矛盾，请求调解": "A family conflict; asks for mediation",
    "咨询劳动合同纠纷": "Advice on an employment contract dispute",
    "咨询房屋租赁问题": "Advice on renting a home",
    "咨询婚姻家庭问题": "Advice on marriage and family matters",
    "咨询遗产继承问题": "Advice on an inheritance",
    "向党代表反映小区问题": "Raises a problem of the estate with the party representative",
    "对社区工作提出建议": "A suggestion for the community's work",
    "咨询学习教育安排": "Asks about the study programme",
    "申请参加党员培训": "Applies for party member training",
    "咨询组织关系转入手续": "Asks how to transfer membership in",
    "咨询组织关系转出手续": "Asks how to transfer membership out",
    "流动党员报到": "A mobile party member reports",
    "希望组织文体活动": "Would like a cultural or sports activity",
    "申请使用活动室": "Asks to use the activity room",
    "求职登记，希望推荐工作": "Registers as a job seeker; asks for a referral",
    "咨询技能培训": "Asks about skills training",
    "咨询灵活就业社保补贴": "Asks about the social insurance subsidy for flexible employment",
    "申请法律援助": "Applies for legal aid",
    "经济困难，请求代写诉状": "Cannot afford it; asks for help writing a complaint",
    "咨询低保申请": "Asks how to apply for the minimum living allowance",
    "咨询临时救助": "Asks about temporary relief",
    "咨询残疾人补贴": "Asks about disability allowances",
    "希望开展健康讲座": "Would like a health talk",
    "希望开展防诈骗讲座": "Would like a talk on avoiding fraud",
    "家电维修": "Appliance repair",
    "独居老人家中需要保洁": "An elderly person living alone needs cleaning at home",
    "下水道堵塞需要疏通": "A blocked drain to clear",
    "需要上门理发": "Needs a haircut at home",
    "老人需要测血压血糖": "An elderly person needs blood pressure and sugar checked",
    "希望上门义诊": "Asks for a doctor's visit at home",
    "就业困难，请求帮扶": "Struggles to find work; asks for support",
    "咨询公益性岗位": "Asks about public-service jobs",
    "楼道堆放杂物，存在安全隐患": "Clutter in the stairwell is a safety hazard",
    "小区停车纠纷": "A parking dispute in the estate",
    "楼道垃圾无人清理": "Rubbish in the stairwell is not cleared",
    "小区垃圾桶满溢": "The estate's bins are overflowing",
    "绿化带有积存垃圾": "Rubbish has piled up in the green strip",
    "小区路灯损坏": "A street light in the estate is broken",
    "电动车楼道充电": "E-bikes charged in the stairwell",
    "可疑人员出入小区": "Suspicious people coming and going",
    "已上门核实，问题已解决": "Checked on the spot; the problem is solved",
    "已电话回复，居民表示满意": "Answered by phone; the resident is satisfied",
    "已协调相关部门处理完毕": "Arranged with the departments concerned; done",
    "已调解，双方达成一致": "Mediated; both sides agreed",
    "已提供政策咨询，告知办理流程": "Explained the policy and how to apply",
    "已转交专业机构跟进，办结": "Passed to a specialist body to follow up; closed",
}


def _variants() -> list[Variant]:
    rows = ServiceCategory.objects.filter(is_active=True).order_by("family", "sort_order", "name")
    return [Variant(code=c.code, label=c.label, defaults=DESCRIPTIONS.get(c.code, ())) for c in rows]


def _since() -> dt.datetime:
    return timezone.now() - dt.timedelta(days=RECENT_DAYS)


def _recent_descriptions(actor: Actor) -> list[tuple[str, str]]:
    """What the worker wrote as 诉求内容 at the desk of late, with the service (requests they
    may still see)."""
    recorded = RequestStep.objects.filter(action="submit", actor_id=actor.user_id, at__gte=_since())
    rows = (
        restrict(ServiceRequest.objects.all(), actor, VIEW)
        .filter(pk__in=recorded.values("request_id"))
        .order_by("-created_at")
        .values_list("category__code", "description")[:RECENT_READ]
    )
    return list(rows)


def _recent_results(actor: Actor) -> list[tuple[str, str]]:
    """What the worker reported as done of late."""
    visible = restrict(ServiceRequest.objects.all(), actor, VIEW).values("pk")
    rows = (
        RequestStep.objects.filter(action="handle", actor_id=actor.user_id, at__gte=_since(), request__in=visible)
        .order_by("-at")
        .values_list("note", flat=True)[:RECENT_READ]
    )
    return [("", text) for text in rows]


def register_phrases() -> None:
    register_phrase_field(
        PhraseField(
            key=DESCRIPTION,
            label=_("What is needed (per service)"),
            recent=_recent_descriptions,
            variants=_variants,
            english=ENGLISH,
        )
    )
    register_phrase_field(
        PhraseField(key=RESULT, label=_("What was done"), defaults=RESULTS, recent=_recent_results, english=ENGLISH)
    )

import type { Prescription, Product } from '../../../src/index.js';
import { gtinCheckDigit } from '../../../src/codes/index.js';
import type { KeyDrug, PaymentRestriction, PurchaseMovement } from '../../../src/schemas/index.js';
import { KEY_DRUG_LIST } from './key-drugs.js';
import { DEMO_PEOPLE, DEMO_PHARMACIES } from './people.js';

/*
 * The simulated 医保目录 and the demo pharmacy's shelf. Generic names and dosage forms of the key drugs are the
 * real ones of seed 003 attachment 1; everything else (医保 codes, barcodes, 追溯码 prefixes, prices, classes,
 * restrictions) is made up in the right shape, modelled on but not copied from the national catalog.
 */

type Kind = 'X' | 'Z' | 'T';
type Class = 'A' | 'B' | 'C';

interface Row {
  readonly listName?: string;
  readonly genericName: string;
  readonly dosageForm: string;
  readonly spec: string;
  readonly size: number;
  readonly unit: string;
  readonly minUnit: string;
  readonly cls: Class;
  readonly rx: boolean;
  readonly priceFen: number;
  readonly capFen?: number;
  readonly restriction?: PaymentRestriction;
  readonly dailyDoseUnits?: number;
  readonly maxDaysSupply?: number;
}

const text = (t: string): PaymentRestriction => ({ text: t });

/** Western key drugs (attachment 1, 西药), in rank order; `listName` is the list's name where it differs. */
const WESTERN: readonly Row[] = [
  {
    genericName: '人血白蛋白',
    dosageForm: '注射剂',
    spec: '10g(20%,50ml)/瓶',
    size: 1,
    unit: '瓶',
    minUnit: '瓶',
    cls: 'B',
    rx: true,
    priceFen: 46_800,
    restriction: text('限抢救、重症或因肝硬化、癌症引起胸腹水的患者，且白蛋白低于30g/L'),
  },
  {
    listName: '阿托伐他汀',
    genericName: '阿托伐他汀钙片',
    dosageForm: '口服常释剂型',
    spec: '20mg*7片',
    size: 7,
    unit: '盒',
    minUnit: '片',
    cls: 'B',
    rx: true,
    priceFen: 2_870,
    capFen: 3_500,
    dailyDoseUnits: 1,
    maxDaysSupply: 30,
  },
  {
    listName: '硝苯地平',
    genericName: '硝苯地平控释片',
    dosageForm: '缓释控释剂型',
    spec: '30mg*7片',
    size: 7,
    unit: '盒',
    minUnit: '片',
    cls: 'B',
    rx: true,
    priceFen: 3_150,
    dailyDoseUnits: 1,
    maxDaysSupply: 30,
  },
  {
    listName: '贝伐珠单抗',
    genericName: '贝伐珠单抗注射液',
    dosageForm: '注射剂',
    spec: '100mg(4ml)/瓶',
    size: 1,
    unit: '瓶',
    minUnit: '瓶',
    cls: 'B',
    rx: true,
    priceFen: 148_800,
    restriction: text('限晚期转移性结直肠癌或晚期非鳞状非小细胞肺癌'),
  },
  {
    genericName: '甲磺酸奥希替尼片',
    dosageForm: '片剂',
    spec: '80mg*30片',
    size: 30,
    unit: '盒',
    minUnit: '片',
    cls: 'B',
    rx: true,
    priceFen: 482_000,
    restriction: text('限EGFR T790M突变阳性的局部晚期或转移性非小细胞肺癌'),
    dailyDoseUnits: 1,
    maxDaysSupply: 30,
  },
  {
    listName: '头孢哌酮舒巴坦',
    genericName: '注射用头孢哌酮钠舒巴坦钠',
    dosageForm: '注射剂',
    spec: '1.5g/瓶',
    size: 1,
    unit: '瓶',
    minUnit: '瓶',
    cls: 'B',
    rx: true,
    priceFen: 2_450,
    restriction: text('限有明确药敏试验证据或重症感染的患者'),
  },
  {
    listName: '曲妥珠单抗',
    genericName: '注射用曲妥珠单抗',
    dosageForm: '注射剂',
    spec: '440mg/瓶',
    size: 1,
    unit: '瓶',
    minUnit: '瓶',
    cls: 'B',
    rx: true,
    priceFen: 596_000,
    restriction: text('限HER2阳性的乳腺癌或转移性胃癌'),
  },
  {
    listName: '哌拉西林他唑巴坦',
    genericName: '注射用哌拉西林钠他唑巴坦钠',
    dosageForm: '注射剂',
    spec: '4.5g/瓶',
    size: 1,
    unit: '瓶',
    minUnit: '瓶',
    cls: 'B',
    rx: true,
    priceFen: 3_860,
  },
  {
    listName: '甘精胰岛素',
    genericName: '甘精胰岛素注射液',
    dosageForm: '注射剂',
    spec: '3ml:300单位/支',
    size: 1,
    unit: '支',
    minUnit: '支',
    cls: 'B',
    rx: true,
    priceFen: 8_950,
    restriction: { diseaseCodes: ['M03100'], text: '限已登记糖尿病门诊慢特病的参保人' },
    maxDaysSupply: 30,
  },
  {
    listName: '氯吡格雷',
    genericName: '硫酸氢氯吡格雷片',
    dosageForm: '口服常释剂型',
    spec: '75mg*7片',
    size: 7,
    unit: '盒',
    minUnit: '片',
    cls: 'B',
    rx: true,
    priceFen: 1_890,
    dailyDoseUnits: 1,
    maxDaysSupply: 30,
  },
  {
    listName: '氨氯地平',
    genericName: '苯磺酸氨氯地平片',
    dosageForm: '口服常释剂型',
    spec: '5mg*28片',
    size: 28,
    unit: '盒',
    minUnit: '片',
    cls: 'A',
    rx: true,
    priceFen: 1_260,
    capFen: 1_500,
    dailyDoseUnits: 1,
    maxDaysSupply: 30,
  },
  {
    genericName: '丁苯酞氯化钠注射液',
    dosageForm: '注射剂',
    spec: '100ml:25mg/瓶',
    size: 1,
    unit: '瓶',
    minUnit: '瓶',
    cls: 'B',
    rx: true,
    priceFen: 16_800,
    restriction: text('限急性缺血性脑卒中患者，发病后48小时内开始使用'),
  },
  {
    listName: '左氨氯地平（左旋氨氯地平）',
    genericName: '苯磺酸左氨氯地平片',
    dosageForm: '口服常释剂型',
    spec: '2.5mg*14片',
    size: 14,
    unit: '盒',
    minUnit: '片',
    cls: 'B',
    rx: true,
    priceFen: 1_580,
    dailyDoseUnits: 1,
    maxDaysSupply: 30,
  },
  {
    genericName: '达格列净片',
    dosageForm: '片剂',
    spec: '10mg*14片',
    size: 14,
    unit: '盒',
    minUnit: '片',
    cls: 'B',
    rx: true,
    priceFen: 5_320,
    restriction: { diseaseCodes: ['M03100'], text: '限二甲双胍等口服降糖药控制不佳的2型糖尿病患者' },
    dailyDoseUnits: 1,
    maxDaysSupply: 30,
  },
  {
    listName: '倍他司汀',
    genericName: '盐酸倍他司汀注射液',
    dosageForm: '注射剂',
    spec: '2ml:4mg*10支',
    size: 10,
    unit: '盒',
    minUnit: '支',
    cls: 'B',
    rx: true,
    priceFen: 2_200,
  },
  {
    listName: '美罗培南',
    genericName: '注射用美罗培南',
    dosageForm: '注射剂',
    spec: '0.5g/瓶',
    size: 1,
    unit: '瓶',
    minUnit: '瓶',
    cls: 'B',
    rx: true,
    priceFen: 6_850,
    restriction: text('限多重耐药的重症感染'),
  },
  {
    listName: '门冬胰岛素 30',
    genericName: '门冬胰岛素30注射液',
    dosageForm: '注射剂',
    spec: '3ml:300单位/支',
    size: 1,
    unit: '支',
    minUnit: '支',
    cls: 'B',
    rx: true,
    priceFen: 6_580,
    restriction: { diseaseCodes: ['M03100'], text: '限已登记糖尿病门诊慢特病的参保人' },
    maxDaysSupply: 30,
  },
  {
    genericName: '地佐辛注射液',
    dosageForm: '注射液',
    spec: '1ml:5mg*10支',
    size: 10,
    unit: '盒',
    minUnit: '支',
    cls: 'B',
    rx: true,
    priceFen: 9_800,
    restriction: text('限术后镇痛'),
  },
  {
    listName: '头孢呋辛',
    genericName: '注射用头孢呋辛钠',
    dosageForm: '注射剂',
    spec: '0.75g/瓶',
    size: 1,
    unit: '瓶',
    minUnit: '瓶',
    cls: 'A',
    rx: true,
    priceFen: 880,
  },
  {
    listName: '头孢噻肟',
    genericName: '注射用头孢噻肟钠',
    dosageForm: '注射剂',
    spec: '1.0g/瓶',
    size: 1,
    unit: '瓶',
    minUnit: '瓶',
    cls: 'A',
    rx: true,
    priceFen: 650,
  },
  {
    listName: '瑞舒伐他汀',
    genericName: '瑞舒伐他汀钙片',
    dosageForm: '口服常释剂型',
    spec: '10mg*7片',
    size: 7,
    unit: '盒',
    minUnit: '片',
    cls: 'B',
    rx: true,
    priceFen: 2_480,
    capFen: 2_200,
    dailyDoseUnits: 1,
    maxDaysSupply: 30,
  },
  {
    listName: '美托洛尔',
    genericName: '琥珀酸美托洛尔缓释片',
    dosageForm: '缓释控释剂型',
    spec: '47.5mg*7片',
    size: 7,
    unit: '盒',
    minUnit: '片',
    cls: 'B',
    rx: true,
    priceFen: 2_980,
    dailyDoseUnits: 1,
    maxDaysSupply: 30,
  },
  {
    listName: '阿司匹林',
    genericName: '阿司匹林肠溶片',
    dosageForm: '口服常释剂型（不含分散片）',
    spec: '100mg*30片',
    size: 30,
    unit: '盒',
    minUnit: '片',
    cls: 'A',
    rx: true,
    priceFen: 1_590,
    dailyDoseUnits: 1,
    maxDaysSupply: 30,
  },
  {
    listName: '他克莫司',
    genericName: '他克莫司胶囊',
    dosageForm: '口服常释剂型',
    spec: '1mg*50粒',
    size: 50,
    unit: '盒',
    minUnit: '粒',
    cls: 'B',
    rx: true,
    priceFen: 48_600,
    restriction: text('限器官移植后的抗排异反应'),
  },
  {
    listName: '头孢唑肟',
    genericName: '注射用头孢唑肟钠',
    dosageForm: '注射剂',
    spec: '1.0g/瓶',
    size: 1,
    unit: '瓶',
    minUnit: '瓶',
    cls: 'B',
    rx: true,
    priceFen: 1_520,
  },
  {
    genericName: '帕妥珠单抗注射液',
    dosageForm: '注射液',
    spec: '420mg(14ml)/瓶',
    size: 1,
    unit: '瓶',
    minUnit: '瓶',
    cls: 'B',
    rx: true,
    priceFen: 498_000,
    restriction: text('限HER2阳性的乳腺癌'),
  },
  {
    listName: '银杏叶提取物',
    genericName: '银杏叶提取物注射液',
    dosageForm: '注射剂',
    spec: '5ml:17.5mg*10支',
    size: 10,
    unit: '盒',
    minUnit: '支',
    cls: 'B',
    rx: true,
    priceFen: 6_800,
    restriction: text('限缺血性心脑血管疾病急性期住院患者'),
  },
  {
    listName: '阿莫西林克拉维酸',
    genericName: '注射用阿莫西林钠克拉维酸钾',
    dosageForm: '注射剂',
    spec: '1.2g/瓶',
    size: 1,
    unit: '瓶',
    minUnit: '瓶',
    cls: 'B',
    rx: true,
    priceFen: 1_380,
  },
  {
    genericName: '司库奇尤单抗注射液',
    dosageForm: '注射液',
    spec: '150mg(1ml)/支',
    size: 1,
    unit: '支',
    minUnit: '支',
    cls: 'B',
    rx: true,
    priceFen: 59_800,
    restriction: { minAge: 18, text: '限成人中重度斑块状银屑病' },
  },
  {
    listName: '法莫替丁',
    genericName: '注射用法莫替丁',
    dosageForm: '注射剂',
    spec: '20mg/瓶',
    size: 1,
    unit: '瓶',
    minUnit: '瓶',
    cls: 'A',
    rx: true,
    priceFen: 560,
  },
];

/** Chinese patent medicines of attachment 1 (中成药), in rank order, the repeat at rank 24 left out. */
const PATENT: readonly Row[] = [
  {
    listName: '复方丹参片（丸、胶囊、颗粒、滴丸）',
    genericName: '复方丹参片',
    dosageForm: '片剂',
    spec: '0.32g*60片',
    size: 60,
    unit: '瓶',
    minUnit: '片',
    cls: 'A',
    rx: false,
    priceFen: 1_280,
    dailyDoseUnits: 9,
    maxDaysSupply: 30,
  },
  {
    listName: '脑心通丸（片、胶囊）',
    genericName: '脑心通胶囊',
    dosageForm: '胶囊剂',
    spec: '0.4g*48粒',
    size: 48,
    unit: '盒',
    minUnit: '粒',
    cls: 'B',
    rx: true,
    priceFen: 4_650,
    dailyDoseUnits: 9,
    maxDaysSupply: 30,
  },
  {
    genericName: '麝香保心丸',
    dosageForm: '丸剂',
    spec: '22.5mg*42丸',
    size: 42,
    unit: '盒',
    minUnit: '丸',
    cls: 'B',
    rx: true,
    priceFen: 4_980,
    dailyDoseUnits: 6,
    maxDaysSupply: 30,
  },
  {
    genericName: '安宫牛黄丸',
    dosageForm: '丸剂',
    spec: '3g*1丸',
    size: 1,
    unit: '盒',
    minUnit: '丸',
    cls: 'A',
    rx: true,
    priceFen: 68_000,
    restriction: text('限高热惊厥、中风昏迷等急症'),
  },
  {
    genericName: '蓝岑口服液',
    dosageForm: '合剂',
    spec: '10ml*6支',
    size: 6,
    unit: '盒',
    minUnit: '支',
    cls: 'B',
    rx: false,
    priceFen: 2_680,
  },
  {
    listName: '金水宝片（胶囊）',
    genericName: '金水宝胶囊',
    dosageForm: '胶囊剂',
    spec: '0.33g*72粒',
    size: 72,
    unit: '盒',
    minUnit: '粒',
    cls: 'B',
    rx: false,
    priceFen: 5_860,
    dailyDoseUnits: 9,
    maxDaysSupply: 30,
  },
  {
    genericName: '百令胶囊',
    dosageForm: '胶囊剂',
    spec: '0.5g*42粒',
    size: 42,
    unit: '盒',
    minUnit: '粒',
    cls: 'B',
    rx: true,
    priceFen: 6_380,
    dailyDoseUnits: 12,
    maxDaysSupply: 30,
  },
  {
    genericName: '注射用血塞通（冻干）',
    dosageForm: '注射剂',
    spec: '200mg/支',
    size: 1,
    unit: '支',
    minUnit: '支',
    cls: 'B',
    rx: true,
    priceFen: 2_950,
    restriction: text('限中风偏瘫或视网膜中央静脉阻塞的患者'),
  },
  {
    genericName: '香丹注射液',
    dosageForm: '注射剂',
    spec: '10ml*5支',
    size: 5,
    unit: '盒',
    minUnit: '支',
    cls: 'B',
    rx: true,
    priceFen: 1_650,
  },
  {
    genericName: '阿胶',
    dosageForm: '胶剂',
    spec: '250g/盒',
    size: 1,
    unit: '盒',
    minUnit: '盒',
    cls: 'C',
    rx: false,
    priceFen: 89_800,
  },
  {
    genericName: '参松养心胶囊',
    dosageForm: '胶囊剂',
    spec: '0.4g*36粒',
    size: 36,
    unit: '盒',
    minUnit: '粒',
    cls: 'B',
    rx: true,
    priceFen: 3_960,
    dailyDoseUnits: 12,
    maxDaysSupply: 30,
  },
  {
    listName: '通心络片（胶囊）',
    genericName: '通心络胶囊',
    dosageForm: '胶囊剂',
    spec: '0.26g*30粒',
    size: 30,
    unit: '盒',
    minUnit: '粒',
    cls: 'B',
    rx: true,
    priceFen: 3_580,
    dailyDoseUnits: 9,
    maxDaysSupply: 30,
  },
  {
    listName: '华蟾素片（胶囊）',
    genericName: '华蟾素片',
    dosageForm: '片剂',
    spec: '0.3g*24片',
    size: 24,
    unit: '盒',
    minUnit: '片',
    cls: 'B',
    rx: true,
    priceFen: 4_280,
    restriction: text('限癌症患者'),
  },
  {
    listName: '稳心片（胶囊、颗粒）',
    genericName: '稳心颗粒',
    dosageForm: '颗粒剂',
    spec: '9g*9袋',
    size: 9,
    unit: '盒',
    minUnit: '袋',
    cls: 'B',
    rx: true,
    priceFen: 3_250,
    dailyDoseUnits: 3,
    maxDaysSupply: 30,
  },
  {
    listName: '连花清瘟片（胶囊、颗粒）',
    genericName: '连花清瘟胶囊',
    dosageForm: '胶囊剂',
    spec: '0.35g*24粒',
    size: 24,
    unit: '盒',
    minUnit: '粒',
    cls: 'A',
    rx: false,
    priceFen: 1_480,
    dailyDoseUnits: 12,
    maxDaysSupply: 7,
  },
  {
    listName: '强力枇杷露（胶囊、颗粒）',
    genericName: '强力枇杷露',
    dosageForm: '糖浆剂',
    spec: '150ml/瓶',
    size: 1,
    unit: '瓶',
    minUnit: '瓶',
    cls: 'B',
    rx: false,
    priceFen: 1_860,
  },
  {
    genericName: '蒲地蓝消炎口服液',
    dosageForm: '合剂',
    spec: '10ml*10支',
    size: 10,
    unit: '盒',
    minUnit: '支',
    cls: 'B',
    rx: false,
    priceFen: 3_280,
  },
  {
    genericName: '苏黄止咳胶囊',
    dosageForm: '胶囊剂',
    spec: '0.45g*24粒',
    size: 24,
    unit: '盒',
    minUnit: '粒',
    cls: 'B',
    rx: true,
    priceFen: 3_860,
    maxDaysSupply: 14,
  },
  {
    genericName: '尿毒清颗粒',
    dosageForm: '颗粒剂',
    spec: '5g*18袋',
    size: 18,
    unit: '盒',
    minUnit: '袋',
    cls: 'B',
    rx: true,
    priceFen: 4_560,
    restriction: { diseaseCodes: ['M07800'], text: '限慢性肾功能衰竭门诊慢特病患者' },
  },
  {
    genericName: '丹红注射液',
    dosageForm: '注射剂',
    spec: '10ml*6支',
    size: 6,
    unit: '盒',
    minUnit: '支',
    cls: 'B',
    rx: true,
    priceFen: 5_680,
    restriction: text('限二级及以上医疗机构使用'),
  },
  {
    listName: '银杏叶丸（片、颗粒、胶囊、软胶囊、滴丸、口服液、酏）',
    genericName: '银杏叶片',
    dosageForm: '片剂',
    spec: '9.6mg*48片',
    size: 48,
    unit: '盒',
    minUnit: '片',
    cls: 'B',
    rx: true,
    priceFen: 2_380,
    dailyDoseUnits: 6,
    maxDaysSupply: 30,
  },
  {
    genericName: '舒血宁注射液',
    dosageForm: '注射剂',
    spec: '5ml*10支',
    size: 10,
    unit: '盒',
    minUnit: '支',
    cls: 'B',
    rx: true,
    priceFen: 3_980,
    restriction: text('限缺血性心脑血管疾病急性期住院患者'),
  },
  {
    genericName: '复方阿胶浆',
    dosageForm: '合剂',
    spec: '20ml*12支',
    size: 12,
    unit: '盒',
    minUnit: '支',
    cls: 'B',
    rx: false,
    priceFen: 9_800,
  },
  {
    genericName: '六味地黄丸',
    dosageForm: '丸剂',
    spec: '0.2g*360丸',
    size: 360,
    unit: '瓶',
    minUnit: '丸',
    cls: 'A',
    rx: false,
    priceFen: 1_650,
    dailyDoseUnits: 24,
    maxDaysSupply: 30,
  },
  {
    listName: '血塞通片（颗粒、胶囊、软胶囊、滴丸、分散片）',
    genericName: '血塞通软胶囊',
    dosageForm: '胶囊剂',
    spec: '0.33g*24粒',
    size: 24,
    unit: '盒',
    minUnit: '粒',
    cls: 'B',
    rx: true,
    priceFen: 3_460,
    dailyDoseUnits: 4,
    maxDaysSupply: 30,
  },
  {
    genericName: '注射用血栓通（冻干）',
    dosageForm: '注射剂',
    spec: '150mg/支',
    size: 1,
    unit: '支',
    minUnit: '支',
    cls: 'B',
    rx: true,
    priceFen: 2_780,
    restriction: text('限中风偏瘫或视网膜中央静脉阻塞的患者'),
  },
  {
    listName: '肺力咳胶囊（合剂）',
    genericName: '肺力咳胶囊',
    dosageForm: '胶囊剂',
    spec: '0.3g*36粒',
    size: 36,
    unit: '盒',
    minUnit: '粒',
    cls: 'B',
    rx: false,
    priceFen: 2_860,
    maxDaysSupply: 14,
  },
  {
    genericName: '芪苈强心胶囊',
    dosageForm: '胶囊剂',
    spec: '0.3g*36粒',
    size: 36,
    unit: '盒',
    minUnit: '粒',
    cls: 'B',
    rx: true,
    priceFen: 5_260,
    restriction: text('限慢性心力衰竭患者'),
    dailyDoseUnits: 12,
    maxDaysSupply: 30,
  },
  {
    genericName: '速效救心丸',
    dosageForm: '丸剂',
    spec: '40mg*60粒',
    size: 60,
    unit: '瓶',
    minUnit: '粒',
    cls: 'A',
    rx: false,
    priceFen: 2_150,
  },
];

/**
 * Herbal pieces (中药饮片) of attachment 1, sold by the 10 g bag. The national catalog gives 饮片 no 甲/乙 class; here they
 * count as 甲, except the two that are never paid alone.
 */
const NOT_PAID_HERBS = new Set(['西洋参', '阿胶珠']);
const HERB_PRICE_FEN: Readonly<Record<string, number>> = {
  全蝎: 4_200,
  三七粉: 2_800,
  西洋参: 3_800,
  川贝母: 5_800,
  天麻: 2_200,
  人参片: 2_600,
  蜈蚣: 3_500,
  阿胶珠: 4_600,
  枸杞子: 480,
  红花: 1_200,
  砂仁: 1_600,
};

/** Goods beyond the key-drug list, so that a sale can mix OTC, Rx, restricted and never-paid goods. */
const OTHER_DRUGS: readonly (Row & { kind: Kind })[] = [
  {
    kind: 'X',
    genericName: '布洛芬缓释胶囊',
    dosageForm: '缓释控释剂型',
    spec: '0.3g*20粒',
    size: 20,
    unit: '盒',
    minUnit: '粒',
    cls: 'A',
    rx: false,
    priceFen: 1_580,
    dailyDoseUnits: 2,
    maxDaysSupply: 7,
  },
  {
    kind: 'X',
    genericName: '对乙酰氨基酚片',
    dosageForm: '口服常释剂型',
    spec: '0.5g*20片',
    size: 20,
    unit: '盒',
    minUnit: '片',
    cls: 'A',
    rx: false,
    priceFen: 450,
    dailyDoseUnits: 4,
    maxDaysSupply: 7,
  },
  {
    kind: 'X',
    genericName: '氯雷他定片',
    dosageForm: '口服常释剂型',
    spec: '10mg*6片',
    size: 6,
    unit: '盒',
    minUnit: '片',
    cls: 'B',
    rx: false,
    priceFen: 1_850,
    dailyDoseUnits: 1,
    maxDaysSupply: 14,
  },
  {
    kind: 'X',
    genericName: '蒙脱石散',
    dosageForm: '散剂',
    spec: '3g*10袋',
    size: 10,
    unit: '盒',
    minUnit: '袋',
    cls: 'A',
    rx: false,
    priceFen: 1_290,
    dailyDoseUnits: 3,
    maxDaysSupply: 7,
  },
  {
    kind: 'X',
    genericName: '盐酸二甲双胍片',
    dosageForm: '口服常释剂型',
    spec: '0.5g*48片',
    size: 48,
    unit: '盒',
    minUnit: '片',
    cls: 'A',
    rx: true,
    priceFen: 980,
    dailyDoseUnits: 3,
    maxDaysSupply: 30,
  },
  {
    kind: 'X',
    genericName: '阿莫西林胶囊',
    dosageForm: '口服常释剂型',
    spec: '0.25g*24粒',
    size: 24,
    unit: '盒',
    minUnit: '粒',
    cls: 'A',
    rx: true,
    priceFen: 1_050,
    dailyDoseUnits: 6,
    maxDaysSupply: 7,
  },
  {
    kind: 'X',
    genericName: '缬沙坦胶囊',
    dosageForm: '口服常释剂型',
    spec: '80mg*7粒',
    size: 7,
    unit: '盒',
    minUnit: '粒',
    cls: 'B',
    rx: true,
    priceFen: 2_650,
    dailyDoseUnits: 1,
    maxDaysSupply: 30,
  },
  {
    kind: 'X',
    genericName: '非那雄胺片',
    dosageForm: '口服常释剂型',
    spec: '5mg*10片',
    size: 10,
    unit: '盒',
    minUnit: '片',
    cls: 'B',
    rx: true,
    priceFen: 3_650,
    restriction: { sex: 'male', text: '限男性良性前列腺增生' },
    dailyDoseUnits: 1,
    maxDaysSupply: 30,
  },
  {
    kind: 'X',
    genericName: '复方α-酮酸片',
    dosageForm: '口服常释剂型',
    spec: '0.63g*100片',
    size: 100,
    unit: '瓶',
    minUnit: '片',
    cls: 'B',
    rx: true,
    priceFen: 12_800,
    restriction: { diseaseCodes: ['M07800'], text: '限慢性肾功能不全门诊慢特病患者' },
    dailyDoseUnits: 12,
    maxDaysSupply: 30,
  },
  {
    kind: 'Z',
    genericName: '感冒清热颗粒',
    dosageForm: '颗粒剂',
    spec: '12g*10袋',
    size: 10,
    unit: '盒',
    minUnit: '袋',
    cls: 'A',
    rx: false,
    priceFen: 1_680,
    dailyDoseUnits: 2,
    maxDaysSupply: 7,
  },
  {
    kind: 'Z',
    genericName: '板蓝根颗粒',
    dosageForm: '颗粒剂',
    spec: '10g*20袋',
    size: 20,
    unit: '包',
    minUnit: '袋',
    cls: 'A',
    rx: false,
    priceFen: 1_200,
    dailyDoseUnits: 3,
    maxDaysSupply: 7,
  },
  {
    kind: 'Z',
    genericName: '健胃消食片',
    dosageForm: '片剂',
    spec: '0.8g*32片',
    size: 32,
    unit: '盒',
    minUnit: '片',
    cls: 'B',
    rx: false,
    priceFen: 1_360,
    dailyDoseUnits: 9,
    maxDaysSupply: 14,
  },
];

/** Goods the fund never pays for: no 医保 code, sold 自费 only (billing them under a drug's code is 串换). */
const NON_MEDICAL: readonly Omit<Product, 'productId' | 'gtins' | 'keyDrug'>[] = [
  {
    genericName: '蛋白质粉（保健食品）',
    specification: '450g/罐',
    category: 'health-product',
    packageSize: 1,
    packageUnit: '罐',
    minUnit: '罐',
    rx: false,
    retailPriceFen: 16_800,
  },
  {
    genericName: '鱼油软胶囊（保健食品）',
    specification: '1000mg*100粒',
    category: 'health-product',
    packageSize: 100,
    packageUnit: '瓶',
    minUnit: '粒',
    rx: false,
    retailPriceFen: 12_800,
  },
  {
    genericName: '含氟牙膏',
    specification: '120g/支',
    category: 'daily-goods',
    packageSize: 1,
    packageUnit: '支',
    minUnit: '支',
    rx: false,
    retailPriceFen: 1_590,
  },
  {
    genericName: '抑菌洗手液',
    specification: '500ml/瓶',
    category: 'daily-goods',
    packageSize: 1,
    packageUnit: '瓶',
    minUnit: '瓶',
    rx: false,
    retailPriceFen: 1_290,
  },
  {
    genericName: '低糖燕麦片',
    specification: '800g/袋',
    category: 'food',
    packageSize: 1,
    packageUnit: '袋',
    minUnit: '袋',
    rx: false,
    retailPriceFen: 2_990,
  },
  {
    genericName: '上臂式电子血压计',
    specification: 'U80型',
    category: 'device',
    packageSize: 1,
    packageUnit: '台',
    minUnit: '台',
    rx: false,
    retailPriceFen: 19_900,
  },
];

// GTINs are numbered in catalog order, so a product keeps its barcode from run to run.
let serial = 0;
/** A GTIN-13 with the 693 prefix of Chinese products and a valid check digit, one per catalog line. */
function nextGtin(): string {
  const body = `693${String(++serial).padStart(9, '0')}`;
  return body + String(gtinCheckDigit(body));
}

/** A 医保 code in the national pattern: the kind letter, a group, a serial and a fixed tail; 22 characters. */
function medListCode(kind: Kind, group: string, n: number): string {
  return `${kind}${group}${String(n).padStart(3, '0')}A001010100${String((n * 7919) % 100_000).padStart(5, '0')}`;
}

function drugProduct(kind: Kind, group: string, n: number, row: Row, keyDrug: boolean): Product {
  const product: Product = {
    productId: `YP-${kind}${group}${String(n).padStart(3, '0')}`,
    medListCode: medListCode(kind, group, n),
    genericName: row.genericName,
    specification: row.spec,
    dosageForm: row.dosageForm,
    category: kind === 'X' ? 'western-drug' : kind === 'Z' ? 'patent-medicine' : 'herbal-pieces',
    insuranceClass: row.cls,
    packageSize: row.size,
    packageUnit: row.unit,
    minUnit: row.minUnit,
    rx: row.rx,
    gtins: kind === 'T' ? [] : [nextGtin()],
    keyDrug,
    retailPriceFen: row.priceFen,
  };
  // 追溯码 are printed on packaged drugs only; herbal pieces are weighed out.
  if (kind !== 'T')
    product.traceCodePrefix = `8${String(100_000 + n * 137 + (kind === 'Z' ? 40_000 : 0) + (group === 'OT' ? 80_000 : 0)).padStart(6, '0')}`;
  if (row.restriction) product.paymentRestriction = row.restriction;
  if (row.capFen !== undefined) product.priceCapFen = row.capFen;
  if (row.dailyDoseUnits !== undefined) product.dailyDoseUnits = row.dailyDoseUnits;
  if (row.maxDaysSupply !== undefined) product.maxDaysSupply = row.maxDaysSupply;
  return product;
}

function buildCatalog(): Product[] {
  const products: Product[] = [];
  WESTERN.forEach((row, i) => products.push(drugProduct('X', 'YG', i + 1, row, true)));
  PATENT.forEach((row, i) => products.push(drugProduct('Z', 'YG', i + 1, row, true)));
  KEY_DRUG_LIST.herbalPieces.forEach((name, i) =>
    products.push(
      drugProduct(
        'T',
        'YG',
        i + 1,
        {
          genericName: name,
          dosageForm: '饮片',
          spec: '10g/袋',
          size: 10,
          unit: '袋',
          minUnit: 'g',
          cls: NOT_PAID_HERBS.has(name) ? 'C' : 'A',
          rx: false,
          priceFen: HERB_PRICE_FEN[name] ?? 560,
        },
        true,
      ),
    ),
  );
  OTHER_DRUGS.forEach((row, i) => products.push(drugProduct(row.kind, 'OT', i + 1, row, false)));
  NON_MEDICAL.forEach((item, i) =>
    products.push({ ...item, productId: `YP-G${String(i + 1).padStart(3, '0')}`, gtins: [nextGtin()], keyDrug: false }),
  );
  return products;
}

/**
 * The simulated catalog in the till's `Product` shape: every western drug, Chinese patent medicine and herbal
 * piece of seed 003 attachment 1 (real generic names and dosage forms; `keyDrug: true`), OTC and Rx drugs, drugs
 * with a 限定支付范围 (by 慢特病 registration, age or sex, or text only), 乙类 drugs over their 支付标准
 * (`priceCapFen`), class C goods, and goods with no 医保 code at all (保健品, 日用品, 食品, 器械).
 *
 * @example
 * const atorvastatin = DEMO_CATALOG.find((p) => p.genericName === '阿托伐他汀钙片')
 */
export const DEMO_CATALOG: readonly Product[] = buildCatalog();

function product(genericName: string): Product {
  const found = DEMO_CATALOG.find((p) => p.genericName === genericName);
  if (!found) throw new Error(`simulator seed: no product ${genericName}`);
  return found;
}

/**
 * The key-drug list of a rule pack: attachment 1 by name and dosage form, each entry once.
 *
 * @example
 * keyDrugsOfList()[0] // { kind: 'western', name: '人血白蛋白', dosageForm: '注射剂' }
 */
export function keyDrugsOfList(): KeyDrug[] {
  const seen = new Set<string>();
  const out: KeyDrug[] = [];
  const add = (drug: KeyDrug) => {
    const id = `${drug.kind}:${drug.name}:${drug.dosageForm ?? ''}`;
    if (seen.has(id)) return;
    seen.add(id);
    out.push(drug);
  };
  for (const w of KEY_DRUG_LIST.western) add({ kind: 'western', name: w.name, dosageForm: w.dosageForm });
  for (const p of KEY_DRUG_LIST.patent) add({ kind: 'patent', name: p.name });
  for (const h of KEY_DRUG_LIST.herbalPieces) add({ kind: 'herbal', name: h });
  for (const c of KEY_DRUG_LIST.consumables) add({ kind: 'consumable', name: c.category });
  return out;
}

const cst = (y: number, m: number, d: number, h = 9) => Date.UTC(y, m - 1, d, h - 8);

function rx(
  p: Omit<Prescription, 'hospitalCode' | 'hospitalName' | 'doctorCode' | 'doctorName' | 'circulating'> & {
    circulating?: boolean;
  },
): Prescription {
  return {
    circulating: true,
    hospitalCode: 'H22010100001',
    hospitalName: '长春市示范人民医院',
    doctorCode: 'D220100123',
    doctorName: '王医生',
    ...p,
  };
}

const item = (name: string, quantity: number, days: number, doseText: string, frequencyText: string) => {
  const p = product(name);
  return { medListCode: p.medListCode as string, genericName: p.genericName, quantity, days, doseText, frequencyText };
};

/**
 * E-prescriptions from the prescription-circulation platform for some demo people: the diabetic retiree's
 * long-term prescription (restricted drugs she qualifies for), the employee's statin and antibiotic, and one each
 * already dispensed and revoked. Issued 2026-11-22 (CST); circulating prescriptions stay valid 3 days, long-term
 * ones 30.
 *
 * @example
 * sale.attachPrescription(DEMO_PRESCRIPTIONS['chronic-diabetes'])
 */
export const DEMO_PRESCRIPTIONS: Readonly<
  Record<'chronic-diabetes' | 'active-statin' | 'active-antibiotic' | 'dispensed' | 'revoked', Prescription>
> = {
  'chronic-diabetes': rx({
    rxNo: 'RX2026112200001',
    issuedAt: cst(2026, 11, 22),
    validDays: 30,
    patient: { psnNo: DEMO_PEOPLE.chronic.psnNo, residentId: DEMO_PEOPLE.chronic.residentId },
    diagnoses: [
      { code: 'E11.900', name: '2型糖尿病' },
      { code: 'I10.x00', name: '原发性高血压' },
    ],
    items: [item('达格列净片', 2, 28, '10mg', 'qd'), item('苯磺酸氨氯地平片', 1, 28, '5mg', 'qd')],
    status: 'valid',
  }),
  'active-statin': rx({
    rxNo: 'RX2026112200002',
    issuedAt: cst(2026, 11, 22, 10),
    validDays: 3,
    patient: { psnNo: DEMO_PEOPLE.active.psnNo, residentId: DEMO_PEOPLE.active.residentId },
    diagnoses: [{ code: 'E78.501', name: '高脂血症' }],
    items: [item('阿托伐他汀钙片', 2, 14, '20mg', 'qd')],
    status: 'valid',
  }),
  'active-antibiotic': rx({
    rxNo: 'RX2026112200003',
    issuedAt: cst(2026, 11, 22, 11),
    validDays: 3,
    patient: { psnNo: DEMO_PEOPLE.active.psnNo, residentId: DEMO_PEOPLE.active.residentId },
    diagnoses: [{ code: 'J02.900', name: '急性咽炎' }],
    items: [item('阿莫西林胶囊', 1, 4, '0.5g', 'tid')],
    status: 'valid',
  }),
  dispensed: rx({
    rxNo: 'RX2026112000004',
    issuedAt: cst(2026, 11, 20),
    validDays: 3,
    patient: { psnNo: DEMO_PEOPLE.resident.psnNo, residentId: DEMO_PEOPLE.resident.residentId },
    diagnoses: [{ code: 'I10.x00', name: '原发性高血压' }],
    items: [item('硝苯地平控释片', 2, 14, '30mg', 'qd')],
    status: 'dispensed',
    dispensedOn: '2026-11-20',
  }),
  revoked: rx({
    rxNo: 'RX2026112200005',
    issuedAt: cst(2026, 11, 22, 14),
    validDays: 3,
    circulating: false,
    patient: { psnNo: DEMO_PEOPLE.resident.psnNo, residentId: DEMO_PEOPLE.resident.residentId },
    diagnoses: [{ code: 'J06.900', name: '急性上呼吸道感染' }],
    items: [item('阿莫西林胶囊', 2, 7, '0.5g', 'tid')],
    status: 'revoked',
  }),
};

/** The 追溯码 of box `box` of batch `batch` of a product: its 7-digit prefix and a 13-digit serial. */
function traceCode(p: Product, batch: number, box: number): string {
  return `${p.traceCodePrefix as string}${String(batch * 100_000 + box).padStart(13, '0')}`;
}

/** A box of 阿托伐他汀 already sold at another pharmacy: it comes back through a dodgy supplier (回流药). */
const RESOLD_TRACE_CODE = traceCode(product('阿托伐他汀钙片'), 9, 1);

function purchase(
  genericName: string,
  batch: number,
  boxes: number,
  unitCostFen: number,
  opts: { supplier?: string; firstBox?: number; traceCodes?: string[] } = {},
): PurchaseMovement {
  const p = product(genericName);
  const first = opts.firstBox ?? 1;
  const codes =
    opts.traceCodes ??
    (p.traceCodePrefix ? Array.from({ length: boxes }, (_, i) => traceCode(p, batch, first + i)) : []);
  const movement: PurchaseMovement = {
    kind: 'purchase',
    movementId: `OPEN-${p.productId}-B${batch}`,
    at: cst(2026, 11, 1),
    productId: p.productId,
    productName: p.genericName,
    batchNo: `B${p.productId.slice(3)}-${batch}`,
    lotNo: `2026${String(batch).padStart(2, '0')}${p.productId.slice(-3)}`,
    manufactureDate: '2026-03-01',
    expiryDate: '2028-02-29',
    traceCodes: codes,
    operatorId: 'OPEN',
    quantity: boxes,
    supplierName: opts.supplier ?? '吉林省示范医药有限公司',
    unitCostFen,
  };
  if (p.medListCode !== undefined) movement.medListCode = p.medListCode;
  return movement;
}

/**
 * The active demo pharmacy's opening stock as purchases (3503 shape): batches with lot numbers, expiry and one
 * 追溯码 per box. One batch came from a dodgy supplier and holds a box already sold elsewhere
 * ({@link DEMO_TRACE_CODES}.resold): selling it is refused as 回流药.
 *
 * @example
 * for (const movement of DEMO_STOCK) await ledger.record(movement)
 */
export const DEMO_STOCK: readonly PurchaseMovement[] = [
  purchase('阿托伐他汀钙片', 1, 12, 2_100),
  purchase('苯磺酸氨氯地平片', 1, 10, 800),
  purchase('达格列净片', 1, 6, 4_100),
  purchase('甘精胰岛素注射液', 1, 4, 7_200),
  purchase('瑞舒伐他汀钙片', 1, 8, 1_700),
  purchase('阿司匹林肠溶片', 1, 10, 1_100),
  purchase('布洛芬缓释胶囊', 1, 10, 1_000),
  purchase('阿莫西林胶囊', 1, 10, 600),
  purchase('连花清瘟胶囊', 1, 10, 1_000),
  purchase('复方丹参片', 1, 6, 850),
  purchase('黄芪', 1, 20, 200),
  purchase('蛋白质粉（保健食品）', 1, 3, 9_800),
  purchase('阿托伐他汀钙片', 9, 1, 1_200, { supplier: '某医药贸易商行（来源不明）', traceCodes: [RESOLD_TRACE_CODE] }),
].map((m) => ({ ...m, movementId: `${m.movementId}-${DEMO_PHARMACIES.active.code}` }));

/**
 * Trace codes for demos and tests: `fresh` boxes on the active pharmacy's shelf, never sold; `resold` a box already
 * sold at the suspended pharmacy on 2026-11-10, which the platform refuses to see sold again (回流药).
 *
 * @example
 * await client.call('YG05', { data: { drug_trac_codg: [DEMO_TRACE_CODES.resold] } }) // sel_flag '1'
 */
export const DEMO_TRACE_CODES: {
  readonly fresh: readonly string[];
  readonly resold: string;
  readonly resoldAt: { readonly fixmedinsCode: string; readonly at: number };
} = {
  fresh: (DEMO_STOCK[0] as PurchaseMovement).traceCodes.slice(0, 6),
  resold: RESOLD_TRACE_CODE,
  resoldAt: { fixmedinsCode: DEMO_PHARMACIES.suspended.code, at: cst(2026, 11, 10, 15) },
};

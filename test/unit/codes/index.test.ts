import { describe, it, expect } from 'vitest';
import * as codes from '../../../src/codes/index.js';

describe('src/codes/index.ts', () => {
  it('re-exports every public name of the code modules and of money, and nothing internal', () => {
    expect(Object.keys(codes).sort()).toEqual(
      [
        'AREA_PROVINCES',
        'checkAreaCode',
        'checkGtin',
        'checkMedListCode',
        'checkResidentId',
        'gtinCheckDigit',
        'isCalendarDate',
        'isValidAreaCode',
        'isValidGtin',
        'isValidMedListCode',
        'isValidResidentId',
        'isValidTraceCode',
        'maskName',
        'maskPersonalData',
        'maskPhone',
        'maskResidentId',
        'medListKind',
        'parseTraceCode',
        'residentIdCheckChar',
        'residentIdInfo',
        'yuanToFen',
        'fenToYuan',
        'fenToYuanNumber',
        'priceToMicros',
        'microsToPrice',
        'lineAmountFen',
        'quantityToTenThousandths',
      ].sort(),
    );
  });
});
